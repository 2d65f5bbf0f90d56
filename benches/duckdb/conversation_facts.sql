-- conversation_facts in DuckDB: one row per conversation opened or closed in
-- [{start}, {end}) as known at {as_of}, with the per-conversation
-- metrics of SPEC.md §2. (convlake's business-hours durations are its own:
-- not computed here, and not selected from convlake either.)
--
-- Parameters, substituted by benches/run.py before DuckDB sees the text:
--   {lake}      the lake's folder
--   {start}     period start, a UTC instant ('-infinity' for the whole lake)
--   {end}       period end, excluded ('infinity' for the whole lake)
--   {as_of}     the report's "now": later events are not known yet
--   {timezone}  the report's zone, for workspaces without one
--
-- The file is a list of statements separated by ';' at the end of a line;
-- the last one is the query.

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

-- The candidates: an opening or a closing event in the period (the final
-- select keeps those whose opening or closing it is).
period_conversations as materialized (
    select distinct workspace_id, conversation_id
    from raw_events
    where event_type in ('conversation_opened', 'conversation_closed')
        and ts >= TIMESTAMPTZ '{start}'
        and ts < TIMESTAMPTZ '{end}'
),
{metrics}

select
    c.workspace_id,
    c.conversation_id,
    c.contact_id,
    coalesce(contacts.name, c.contact_id) as contact_name,
    -- new: the contact's first opening in the workspace, and not after its
    -- first conversation known from before the lake (contacts.first_conversation_at).
    case
        when c.opened_at is null then null
        when c.opened_at = f.first_opened_at
            and (contacts.first_conversation_at is null or c.opened_at <= contacts.first_conversation_at)
            then 'new'
        else 'returning'
    end as contact_type,
    c.establishment_id,
    c.opened_at,
    coalesce(c.opened_at >= TIMESTAMPTZ '{start}' and c.opened_at < TIMESTAMPTZ '{end}', false) as opened_in_period,
    c.opened_source,
    c.opened_source_detail,
    c.opened_channel_id,
    coalesce(channels.name, c.opened_channel_id) as opened_channel_name,
    channels.channel_type as opened_channel_type,
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
    -- A closing by contact merge or deletion is in no closed count (SPEC.md §2).
    coalesce(c.closed_at >= TIMESTAMPTZ '{start}' and c.closed_at < TIMESTAMPTZ '{end}'
        and (c.closed_source is null or c.closed_source not in ('contact_merged', 'contact_deleted')), false)
        as closed_in_period,
    c.closed_source,
    c.closed_by_user_id,
    c.closed_by_team_id,
    c.category,
    c.summary,
    case when c.assigned_at_opening then null
        else seconds_between(c.opened_at, c.first_assignment_at) end as time_to_first_assignment_seconds,
    seconds_between(c.opened_at, c.first_response_at) as first_response_time_seconds,
    seconds_between(c.first_assignment_at, c.first_response_at) as first_assignment_to_first_response_seconds,
    seconds_between(c.last_assignment_at, c.last_assignee_response_at) as last_assignment_to_response_seconds,
    seconds_between(c.opened_at, c.closed_at) as resolution_time_seconds,
    seconds_between(c.first_assignment_at, c.closed_at) as first_assignment_to_close_seconds,
    seconds_between(c.last_assignment_at, c.closed_at) as last_assignment_to_close_seconds,
    case when c.responses > 0 then c.response_time_total_seconds / c.responses end as average_response_time_seconds,
    seconds_between(c.first_incoming_at, c.pickup_at) as pickup_delay_seconds,
    coalesce(workspaces.timezone, '{timezone}') as timezone
from facts as c
left join contact_first_openings as f
    on f.workspace_id = c.workspace_id and f.contact_id = c.contact_id
left join read_parquet('{lake}/contacts/*.parquet') as contacts
    on contacts.workspace_id = c.workspace_id and contacts.contact_id = c.contact_id
left join read_parquet('{lake}/channels/*.parquet') as channels
    on channels.channel_id = c.opened_channel_id
left join read_parquet('{lake}/users/*.parquet') as first_assignee
    on first_assignee.user_id = c.first_assignee_id
left join read_parquet('{lake}/users/*.parquet') as last_assignee
    on last_assignee.user_id = c.last_assignee_id
left join read_parquet('{lake}/workspaces/*.parquet') as workspaces
    on workspaces.workspace_id = c.workspace_id
-- Opened or closed in the period: the conversation's opening or its closing
-- (the first after the opening), not any stray or re-delivered copy of one.
where (c.opened_at >= TIMESTAMPTZ '{start}' and c.opened_at < TIMESTAMPTZ '{end}')
    or (c.closed_at >= TIMESTAMPTZ '{start}' and c.closed_at < TIMESTAMPTZ '{end}')
