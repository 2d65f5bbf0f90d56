-- period_conversations: one row per conversation opened or closed in the
-- report period (convlake.period, as of convlake.as_of), in the workspaces
-- of convlake.workspace, with every per-conversation metric of SPEC.md §2.
-- No report filter is applied here: conversation_facts applies them, and
-- report_status compares the two to tell "no data for the selected filters"
-- from an empty period.
-- Serves: the base of conversation_facts (seed 000, "Liste de conversation").
-- Filters: none (period, as-of and workspace only).
with conversations as (
    -- The lake's materialisation (`convlake materialize`), when one covers
    -- every events and contacts file and the as-of time is not before its
    -- last event: it holds the same rows, computed for the whole lake.
    -- Sorted by opened_at, so the period's WHERE below prunes its row
    -- groups. The planner folds the condition to a literal and drops the
    -- branch that is false, as for report_whole_lake().
    select *
    from materialised_conversations
    where coalesce(report_as_of() >= conversations_materialised_through(), false)
        and report_filter('workspace', workspace_id)

    union all

    select *
    from conversations_from_events
    where not coalesce(report_as_of() >= conversations_materialised_through(), false)
)

select
    c.workspace_id,
    c.conversation_id,
    c.contact_id,
    c.contact_name,
    c.contact_type,
    c.establishment_id,
    c.opened_at,
    coalesce(c.opened_at >= report_start() and c.opened_at < report_end(), false) as opened_in_period,
    c.opened_source,
    c.opened_source_detail,
    c.opened_channel_id,
    coalesce(channels.name, c.opened_channel_id) as opened_channel_name,
    channels.channel_type as opened_channel_type,
    channels.platform as opened_channel_platform,
    c.opened_by_user_id,
    c.assigned_at_opening,
    c.first_assignment_at,
    c.first_assignee_id,
    coalesce(first_assignee.name, c.first_assignee_id) as first_assignee_name,
    c.last_assignment_at,
    c.last_assignee_id,
    coalesce(last_assignee.name, c.last_assignee_id) as last_assignee_name,
    c.assignments,
    c.first_response_at,
    c.first_response_by_user_id,
    coalesce(first_responder.name, c.first_response_by_user_id) as first_response_by_name,
    c.last_assignee_response_at,
    c.responses,
    c.response_time_total_seconds,
    c.incoming_messages,
    c.outgoing_messages,
    c.first_incoming_at,
    c.pickup_at,
    c.last_message_at,
    c.last_message_incoming,
    c.closed_at,
    -- Closures by contact merge or deletion do not close a conversation (seed 000).
    coalesce(c.closed_at >= report_start() and c.closed_at < report_end()
        and (c.closed_source is null or c.closed_source not in ('contact_merged', 'contact_deleted')), false)
        as closed_in_period,
    c.closed_source,
    c.closed_by_user_id,
    coalesce(closer.name, c.closed_by_user_id) as closed_by_user_name,
    c.closed_by_team_id,
    coalesce(teams.name, c.closed_by_team_id) as closed_by_team_name,
    c.category,
    c.summary,
    -- Durations in seconds; NULL where an end is missing or negative (SPEC.md §2).
    case when c.assigned_at_opening then null
        else seconds_between(c.opened_at, c.first_assignment_at) end as time_to_first_assignment_seconds,
    seconds_between(c.opened_at, c.first_response_at) as first_response_time_seconds,
    seconds_between(c.first_assignment_at, c.first_response_at) as first_assignment_to_first_response_seconds,
    seconds_between(c.last_assignment_at, c.last_assignee_response_at) as last_assignment_to_response_seconds,
    seconds_between(c.opened_at, c.closed_at) as resolution_time_seconds,
    seconds_between(c.first_assignment_at, c.closed_at) as first_assignment_to_close_seconds,
    seconds_between(c.last_assignment_at, c.closed_at) as last_assignment_to_close_seconds,
    case when c.responses > 0 then c.response_time_total_seconds / c.responses end as average_response_time_seconds,
    -- Partoo's pickup delay: first incoming message -> first user reply after it.
    seconds_between(c.first_incoming_at, c.pickup_at) as pickup_delay_seconds,
    -- The same durations counted in business hours only (workspaces.business_hours
    -- in the workspace's zone; Monday to Friday 09:00-17:00 where none is set).
    case when c.assigned_at_opening then null
        else business_seconds(c.opened_at, c.first_assignment_at, workspaces.business_hours, coalesce(workspaces.timezone, report_timezone())) end
        as time_to_first_assignment_business_seconds,
    business_seconds(c.opened_at, c.first_response_at, workspaces.business_hours, coalesce(workspaces.timezone, report_timezone()))
        as first_response_time_business_seconds,
    business_seconds(c.first_assignment_at, c.first_response_at, workspaces.business_hours, coalesce(workspaces.timezone, report_timezone()))
        as first_assignment_to_first_response_business_seconds,
    business_seconds(c.last_assignment_at, c.last_assignee_response_at, workspaces.business_hours, coalesce(workspaces.timezone, report_timezone()))
        as last_assignment_to_response_business_seconds,
    business_seconds(c.opened_at, c.closed_at, workspaces.business_hours, coalesce(workspaces.timezone, report_timezone()))
        as resolution_time_business_seconds,
    business_seconds(c.first_assignment_at, c.closed_at, workspaces.business_hours, coalesce(workspaces.timezone, report_timezone()))
        as first_assignment_to_close_business_seconds,
    business_seconds(c.last_assignment_at, c.closed_at, workspaces.business_hours, coalesce(workspaces.timezone, report_timezone()))
        as last_assignment_to_close_business_seconds,
    business_seconds(c.first_incoming_at, c.pickup_at, workspaces.business_hours, coalesce(workspaces.timezone, report_timezone()))
        as pickup_delay_business_seconds,
    -- Site dimensions (Partoo, Heyday).
    coalesce(establishments.name, c.establishment_id) as establishment_name,
    establishments.region,
    establishments.sector,
    establishments.country,
    -- Hour and weekday groupings use the workspace's zone, else the report's.
    coalesce(workspaces.timezone, report_timezone()) as timezone
from conversations as c
left join channels on channels.channel_id = c.opened_channel_id
left join users as first_assignee on first_assignee.user_id = c.first_assignee_id
left join users as last_assignee on last_assignee.user_id = c.last_assignee_id
left join users as first_responder on first_responder.user_id = c.first_response_by_user_id
left join users as closer on closer.user_id = c.closed_by_user_id
left join teams on teams.team_id = c.closed_by_team_id
left join workspaces on workspaces.workspace_id = c.workspace_id
left join establishments on establishments.establishment_id = c.establishment_id
-- An opening or closing event in the period is not enough (a stray second
-- closing is outside the span): the conversation's own opening or closing is.
where (c.opened_at >= report_start() and c.opened_at < report_end())
    or (c.closed_at >= report_start() and c.closed_at < report_end())
