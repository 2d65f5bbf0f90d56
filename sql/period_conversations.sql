-- period_conversations: one row per conversation opened or closed in the
-- report period (convlake.period, as of convlake.as_of), in the workspaces
-- of convlake.workspace, with every per-conversation metric of SPEC.md §2.
-- No report filter is applied here: conversation_facts applies them, and
-- report_status compares the two to tell "no data for the selected filters"
-- from an empty period.
-- Serves: the base of conversation_facts (seed 000, "Liste de conversation").
-- Filters: none (period, as-of and workspace only).
with period_conversation_ids as (
    -- Openings and closings in the period: a ts range that prunes files
    -- and row groups by their statistics.
    select distinct workspace_id, conversation_id
    from events
    where event_type in ('conversation_opened', 'conversation_closed')
        and ts >= report_start()
        and ts < report_end()
        and ts <= report_as_of()
        and report_filter('workspace', workspace_id)
),

conversation_events as (
    -- The whole lake (period 'all'): every conversation, read in the files'
    -- order with no join, so the metrics stream conversation by
    -- conversation. The final WHERE keeps those with their own opening or
    -- closing, as the semi join would. The planner folds
    -- report_whole_lake() to a literal and drops the branch that is false.
    select events.*
    from events
    where report_whole_lake()
        and events.ts <= report_as_of()
        and report_filter('workspace', events.workspace_id)

    union all

    -- A bounded period: the events of the conversations it names only.
    select events.*
    from events
    left semi join period_conversation_ids as ids
        on events.workspace_id = ids.workspace_id
        and events.conversation_id = ids.conversation_id
    where not report_whole_lake()
        and events.ts <= report_as_of()
),

metrics as (
    -- One pass over each conversation's events in (ts, event_id) order.
    select
        workspace_id,
        conversation_id,
        min(contact_id) as contact_id,
        min(establishment_id) as establishment_id,
        conversation_metrics(
            ts, event_id, event_type, direction, sender_type, actor_user_id,
            assignee_user_id, team_id, source, source_detail, channel_id,
            category, summary
        ) as m
    from conversation_events
    group by workspace_id, conversation_id
),

first_openings as (
    -- A contact's first conversation in the lake, for new vs returning
    -- (sql/contact_first_openings.sql, or the lake's materialisation). A
    -- conversation closed in the period may have opened long before it, so
    -- no lower bound applies. One row per contact, so the planner drops
    -- the join where no contact type is read.
    select workspace_id, contact_id, first_opened_at
    from contact_first_openings
    where first_opened_at <= report_as_of()
),

contact_names as (
    -- One row per contact id, so the planner drops the join where no
    -- contact column is read (conversation_summary, the closed breakdowns).
    select contact_id, min(name) as name, min(first_conversation_at) as first_conversation_at
    from contacts
    group by contact_id
),

flattened as (
    select
        metrics.workspace_id,
        metrics.conversation_id,
        metrics.contact_id,
        metrics.establishment_id,
        m['opened_at'] as opened_at,
        m['opened_source'] as opened_source,
        m['opened_source_detail'] as opened_source_detail,
        m['opened_channel_id'] as opened_channel_id,
        m['opened_by_user_id'] as opened_by_user_id,
        m['assigned_at_opening'] as assigned_at_opening,
        m['first_assignment_at'] as first_assignment_at,
        m['first_assignee_id'] as first_assignee_id,
        m['last_assignment_at'] as last_assignment_at,
        m['last_assignee_id'] as last_assignee_id,
        m['assignments'] as assignments,
        m['first_response_at'] as first_response_at,
        m['first_response_by_user_id'] as first_response_by_user_id,
        m['last_assignee_response_at'] as last_assignee_response_at,
        m['responses'] as responses,
        m['response_time_total_seconds'] as response_time_total_seconds,
        m['incoming_messages'] as incoming_messages,
        m['outgoing_messages'] as outgoing_messages,
        m['first_incoming_at'] as first_incoming_at,
        m['pickup_at'] as pickup_at,
        m['last_message_at'] as last_message_at,
        m['last_message_incoming'] as last_message_incoming,
        m['closed_at'] as closed_at,
        m['closed_source'] as closed_source,
        m['closed_by_user_id'] as closed_by_user_id,
        m['closed_by_team_id'] as closed_by_team_id,
        m['category'] as category,
        m['summary'] as summary
    from metrics
),

with_contact_type as (
    -- The per-contact tables are written first (the build side of the
    -- hash joins), so the conversations stream through as the probe side in
    -- their order instead of being held in a hash table.
    select
        flattened.*,
        case
            when flattened.opened_at is null then null
            when flattened.opened_at = first_openings.first_opened_at
                and (contacts.first_conversation_at is null
                    or flattened.opened_at <= contacts.first_conversation_at)
                then 'new'
            else 'returning'
        end as contact_type,
        coalesce(contacts.name, flattened.contact_id) as contact_name
    from contact_names as contacts
    right join (
        first_openings
        right join flattened
            on first_openings.workspace_id = flattened.workspace_id
            and first_openings.contact_id = flattened.contact_id
    )
        on contacts.contact_id = flattened.contact_id
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
from with_contact_type as c
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
