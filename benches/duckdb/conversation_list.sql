-- conversation_list in DuckDB: one row per conversation closed in
-- [{start}, {end}) known at {as_of} (its first closing after its opening;
-- closings by contact_merged / contact_deleted are no closing), every column
-- of seed 000's list with durations in seconds and formatted.
-- The per-conversation passes are those of conversation_facts.sql.
--
-- Parameters, substituted by benches/run.py before DuckDB sees the text:
--   {lake}      the lake's folder
--   {start}     period start, a UTC instant
--   {end}       period end, excluded
--   {as_of}     the report's "now": later events are not known yet
--   {timezone}  the report's zone, for workspaces without one
--
-- The file is a list of statements separated by ';' at the end of a line;
-- the last one is the query.

create or replace temp macro format_duration(s) as
    -- hh:mm:ss, or mm:ss under an hour; fractions of a second dropped; '-' for none.
    case
        when s is null or isnan(s) or isinf(s) or s < 0 then '-'
        when s >= 3600 then printf('%02d:%02d:%02d', floor(s)::bigint // 3600,
                                   floor(s)::bigint // 60 % 60, floor(s)::bigint % 60)
        else printf('%02d:%02d', floor(s)::bigint // 60, floor(s)::bigint % 60)
    end;

create or replace temp macro seconds_between(a, b) as
    -- SPEC.md §2: a duration whose end is missing or that would be negative is NULL.
    case when b >= a then (epoch_us(b) - epoch_us(a)) / 1e6 end;

-- raw_events and conversation_events are read several times with different
-- columns and filters: NOT MATERIALIZED lets each reader scan the Parquet
-- files for what it needs, instead of DuckDB holding every event in memory.
with raw_events as not materialized (
    select *
    from read_parquet('{lake}/events/**/*.parquet', hive_partitioning = true)
    where ts <= TIMESTAMPTZ '{as_of}'
),

-- The list's candidates: a closing in the period (the first closing of the
-- span is checked below).
period_conversations as materialized (
    select distinct workspace_id, conversation_id
    from raw_events
    where event_type = 'conversation_closed'
        and ts >= TIMESTAMPTZ '{start}'
        and ts < TIMESTAMPTZ '{end}'
),
{metrics}
,

list as (
    select
        c.*,
        case when c.opened_at is null then null
            when c.opened_at = f.first_opened_at
                and (contacts.first_conversation_at is null or c.opened_at <= contacts.first_conversation_at)
                then 'new'
            else 'returning'
        end as contact_type,
        coalesce(contacts.name, c.contact_id) as contact_name,
        coalesce(closer.name, c.closed_by_user_id) as closed_by_user_name,
        coalesce(teams.name, c.closed_by_team_id) as closed_by_team_name,
        coalesce(channels.name, c.opened_channel_id) as opened_channel_name,
        coalesce(first_assignee.name, c.first_assignee_id) as first_assignee_name,
        coalesce(last_assignee.name, c.last_assignee_id) as last_assignee_name,
        coalesce(first_responder.name, c.first_response_by_user_id) as first_response_by_name,
        case when c.assigned_at_opening then null
            else seconds_between(c.opened_at, c.first_assignment_at) end as time_to_first_assignment_seconds,
        seconds_between(c.opened_at, c.first_response_at) as first_response_time_seconds,
        seconds_between(c.first_assignment_at, c.first_response_at) as first_assignment_to_first_response_seconds,
        seconds_between(c.last_assignment_at, c.last_assignee_response_at) as last_assignment_to_response_seconds,
        seconds_between(c.opened_at, c.closed_at) as resolution_time_seconds,
        seconds_between(c.first_assignment_at, c.closed_at) as first_assignment_to_close_seconds,
        seconds_between(c.last_assignment_at, c.closed_at) as last_assignment_to_close_seconds,
        case when c.responses > 0 then c.response_time_total_seconds / c.responses end
            as average_response_time_seconds
    from facts as c
    left join contact_first_openings as f
        on f.workspace_id = c.workspace_id and f.contact_id = c.contact_id
    left join read_parquet('{lake}/contacts/*.parquet') as contacts
        on contacts.workspace_id = c.workspace_id and contacts.contact_id = c.contact_id
    left join read_parquet('{lake}/channels/*.parquet') as channels
        on channels.channel_id = c.opened_channel_id
    left join read_parquet('{lake}/users/*.parquet') as closer
        on closer.user_id = c.closed_by_user_id
    left join read_parquet('{lake}/teams/*.parquet') as teams
        on teams.team_id = c.closed_by_team_id
    left join read_parquet('{lake}/users/*.parquet') as first_assignee
        on first_assignee.user_id = c.first_assignee_id
    left join read_parquet('{lake}/users/*.parquet') as last_assignee
        on last_assignee.user_id = c.last_assignee_id
    left join read_parquet('{lake}/users/*.parquet') as first_responder
        on first_responder.user_id = c.first_response_by_user_id
    -- Closed in the period; a closing by contact merge or deletion is no closing (SPEC.md §2).
    where c.closed_at >= TIMESTAMPTZ '{start}' and c.closed_at < TIMESTAMPTZ '{end}'
        and (c.closed_source is null or c.closed_source not in ('contact_merged', 'contact_deleted'))
)

select
    closed_at,
    closed_source,
    -- A closing by blocking the contact, or by automation, shows '-' (seed 000).
    case when closed_source = 'blocked' or closed_by_user_name is null then '-'
        else closed_by_user_name end as closed_by,
    coalesce(closed_by_team_name, '-') as closed_by_team,
    opened_at,
    case when opened_source = 'paid_ads' and opened_source_detail is not null
        then 'paid_ads (' || opened_source_detail || ')' else opened_source end as opened_source,
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
from list
order by closed_at, conversation_id
