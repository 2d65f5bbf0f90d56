-- conversation_list: one row per conversation closed in the period, every
-- column of seed 000's list, no row limit. Timestamps are UTC instants;
-- each duration in seconds and formatted (hh:mm:ss, mm:ss under an hour,
-- '-' where missing).
-- Serves: seed 000 "Liste de conversation".
-- Filters: all of seed 000.
with facts as (
    select * from conversation_facts where report_check('conversation_list', '*') and closed_in_period
)

select
    closed_at,
    closed_source,
    -- A closing by blocking the contact shows '-' (seed 000).
    case when closed_source = 'blocked' or closed_by_user_name is null then '-'
        else closed_by_user_name end as closed_by,
    coalesce(closed_by_team_name, '-') as closed_by_team,
    opened_at,
    case when opened_source = 'paid_ads' and opened_source_detail is not null
        then 'paid_ads (' || opened_source_detail || ')' else opened_source end as opened_source,
    -- Opened by hand with the "Open" button: '-' (seed 000).
    coalesce(opened_channel_name, '-') as opened_channel,
    conversation_id,
    contact_id,
    contact_name,
    contact_type,
    first_assignment_at,
    coalesce(first_assignee_name, '-') as first_assignee,
    first_response_at,
    coalesce(first_response_by_name, '-') as first_response_by,
    last_assignment_at,
    coalesce(last_assignee_name, 'Unassigned') as last_assignee,
    time_to_first_assignment_seconds,
    format_duration(time_to_first_assignment_seconds) as time_to_first_assignment,
    first_response_time_seconds,
    format_duration(first_response_time_seconds) as first_response_time,
    first_assignment_to_first_response_seconds,
    format_duration(first_assignment_to_first_response_seconds) as first_assignment_to_first_response,
    last_assignment_to_response_seconds,
    format_duration(last_assignment_to_response_seconds) as last_assignment_to_response,
    resolution_time_seconds,
    format_duration(resolution_time_seconds) as resolution_time,
    first_assignment_to_close_seconds,
    format_duration(first_assignment_to_close_seconds) as first_assignment_to_close,
    last_assignment_to_close_seconds,
    format_duration(last_assignment_to_close_seconds) as last_assignment_to_close,
    average_response_time_seconds,
    format_duration(average_response_time_seconds) as average_response_time,
    assignments,
    incoming_messages,
    outgoing_messages,
    responses,
    coalesce(category, '-') as category,
    coalesce(summary, '-') as summary,
    workspace_id
from facts
order by closed_at, conversation_id
