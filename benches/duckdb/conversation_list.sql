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

conversation_events as not materialized (
    select raw_events.*
    from raw_events
    semi join period_conversations
        on raw_events.workspace_id = period_conversations.workspace_id
        and raw_events.conversation_id = period_conversations.conversation_id
),

-- SPEC.md §1.1: a repeated event_id is a re-delivery and counts once, the
-- first in (ts, event_id) order kept. Only the columns the per-event pass
-- reads; openings and closings are read whole below.
events as (
    select workspace_id, conversation_id, ts, event_id, event_type, direction, sender_type,
        actor_user_id, assignee_user_id
    from conversation_events
    qualify row_number() over (partition by event_id order by ts) = 1
),

-- The span of a conversation: its first opening ..
openings as (
    select
        workspace_id, conversation_id, ts as opened_at, event_id as opening_event_id,
        source as opened_source, source_detail as opened_source_detail,
        channel_id as opened_channel_id, actor_user_id as opened_by_user_id
    from conversation_events
    where event_type = 'conversation_opened'
    qualify row_number() over (partition by workspace_id, conversation_id order by ts, event_id) = 1
),

-- .. to the first closing after it (from the first event when the opening
-- precedes the lake).
closings as (
    select
        c.workspace_id, c.conversation_id, c.ts as closed_at, c.event_id as closing_event_id,
        c.source as closed_source, c.actor_user_id as closed_by_user_id,
        c.team_id as closed_by_team_id, c.category, c.summary
    from (
        -- A closing re-delivered later is still its first delivery.
        select * from conversation_events
        where event_type = 'conversation_closed'
        qualify row_number() over (partition by event_id order by ts) = 1
    ) as c
    left join openings as o
        on o.workspace_id = c.workspace_id and o.conversation_id = c.conversation_id
    where (o.opened_at is null or (c.ts, c.event_id) >= (o.opened_at, o.opening_event_id))
    qualify row_number() over (partition by c.workspace_id, c.conversation_id order by c.ts, c.event_id) = 1
),

conversations as (
    select
        workspace_id, conversation_id,
        min(contact_id) as contact_id,
        min(establishment_id) as establishment_id
    from conversation_events
    group by workspace_id, conversation_id
),

spans as (
    select conversations.*, openings.* exclude (workspace_id, conversation_id),
        closings.* exclude (workspace_id, conversation_id)
    from conversations
    left join openings using (workspace_id, conversation_id)
    left join closings using (workspace_id, conversation_id)
),

-- Events outside the span belong to no metric.
in_span as (
    select
        e.*,
        e.event_type = 'message' and e.direction = 'incoming' as is_incoming,
        e.event_type = 'message' and e.direction = 'outgoing' and e.sender_type = 'user' as is_reply,
        -- The assignments: the assignee in place at the (first) opening, then
        -- every assignee_changed, un-assignments included.
        e.event_type = 'assignee_changed'
            or (e.event_id = s.opening_event_id and e.ts = s.opened_at and e.assignee_user_id is not null)
            as is_assignment
    from events as e
    join spans as s
        on s.workspace_id = e.workspace_id and s.conversation_id = e.conversation_id
    where (s.opened_at is null or (e.ts, e.event_id) >= (s.opened_at, s.opening_event_id))
        and (s.closed_at is null or (e.ts, e.event_id) <= (s.closed_at, s.closing_event_id))
),

-- One ordered pass over each conversation (every window shares one sort).
walked as (
    select
        *,
        row_number() over w as pos,
        -- Of the incoming messages and replies before this event, the last
        -- was incoming: there are unanswered incoming messages.
        last_value(case when is_incoming then true when is_reply then false end ignore nulls)
            over (w rows between unbounded preceding and 1 preceding) as unanswered_before,
        bool_or(is_reply) over (w rows between 1 following and unbounded following) as reply_after,
        bool_or(is_incoming) over (w rows between unbounded preceding and 1 preceding) as incoming_before,
        -- Assignments: so far, in all, the assignee in effect ('' = un-assigned),
        -- the last assignee, and assignments to a user still to come.
        sum(is_assignment::int) over (w rows between unbounded preceding and current row) as assignments_so_far,
        sum(is_assignment::int) over (w rows between unbounded preceding and unbounded following) as assignments_total,
        last_value(case when is_assignment then coalesce(assignee_user_id, '') end ignore nulls)
            over (w rows between unbounded preceding and current row) as assignee_in_effect,
        last_value(case when is_assignment then coalesce(assignee_user_id, '') end ignore nulls)
            over (w rows between unbounded preceding and unbounded following) as last_assignee,
        sum((is_assignment and assignee_user_id is not null)::int)
            over (w rows between 1 following and unbounded following) as user_assignments_after,
        -- Of the incoming messages and assignments before this event, the last was incoming.
        last_value(case when is_incoming then true when is_assignment then false end ignore nulls)
            over (w rows between unbounded preceding and 1 preceding) as incoming_since_assignment
    from in_span
    window w as (partition by workspace_id, conversation_id order by ts, event_id)
),

metrics as (
    select
        workspace_id,
        conversation_id,
        coalesce(bool_or(is_assignment and event_type = 'conversation_opened'), false) as assigned_at_opening,
        count(*) filter (where is_assignment) as assignments,
        min(ts) filter (where is_assignment and assignee_user_id is not null) as first_assignment_at,
        arg_min(assignee_user_id, pos) filter (where is_assignment and assignee_user_id is not null)
            as first_assignee_id,
        max(ts) filter (where is_assignment) as last_assignment_at,
        nullif(any_value(last_assignee), '') as last_assignee_id,
        min(ts) filter (where is_reply) as first_response_at,
        arg_min_null(actor_user_id, pos) filter (where is_reply) as first_response_by_user_id,
        -- Last assignment to response: the last assignee's first reply after
        -- the last assignment and after a message linked to it. A message that
        -- came with no one assigned is linked to the next assignment to a
        -- user: if that is the last one, any reply after it counts ..
        bool_or(is_incoming and coalesce(assignee_in_effect, '') = '' and user_assignments_after = 1)
            as linked_before_last_assignment,
        min(ts) filter (where is_reply and actor_user_id = last_assignee
                            and assignments_so_far = assignments_total) as last_assignee_reply_at,
        -- .. otherwise the reply must follow a message that came after it.
        min(ts) filter (where is_reply and actor_user_id = last_assignee
                            and assignments_so_far = assignments_total and incoming_since_assignment)
            as last_assignee_reply_after_message_at,
        -- A response: a reply with unanswered incoming messages before it, timed
        -- from the first of them.
        count(*) filter (where is_reply and unanswered_before) as responses,
        coalesce(sum(epoch_us(ts)) filter (where is_reply and unanswered_before), 0)
            - coalesce(sum(epoch_us(ts)) filter (where is_incoming and unanswered_before is not true
                                                     and reply_after), 0) as response_time_total_us,
        count(*) filter (where is_incoming) as incoming_messages,
        -- Broadcasts are not outgoing messages.
        count(*) filter (where event_type = 'message' and direction = 'outgoing'
                             and sender_type is distinct from 'broadcast') as outgoing_messages,
        min(ts) filter (where is_incoming) as first_incoming_at,
        min(ts) filter (where is_reply and incoming_before) as pickup_at,
        max(ts) filter (where event_type = 'message' and direction in ('incoming', 'outgoing')) as last_message_at,
        coalesce(arg_max(is_incoming, pos) filter (where event_type = 'message'
                                                       and direction in ('incoming', 'outgoing')), false)
            as last_message_incoming
    from walked
    group by workspace_id, conversation_id
),

facts as (
    select
        s.*,
        m.* exclude (workspace_id, conversation_id, linked_before_last_assignment, last_assignee_reply_at,
                     last_assignee_reply_after_message_at, response_time_total_us),
        case when m.last_assignee_id is not null then
            case when m.linked_before_last_assignment then m.last_assignee_reply_at
                else m.last_assignee_reply_after_message_at end
        end as last_assignee_response_at,
        m.response_time_total_us / 1e6 as response_time_total_seconds
    from spans as s
    join metrics as m
        on m.workspace_id = s.workspace_id and m.conversation_id = s.conversation_id
),

-- New vs returning: each contact's first opening in its workspace.
contact_first_openings as (
    select workspace_id, contact_id, min(ts) as first_opened_at
    from raw_events
    where event_type = 'conversation_opened'
    group by workspace_id, contact_id
)
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
