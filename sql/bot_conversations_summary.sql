-- bot_conversations_summary: one row, Heyday's first group of numbers:
-- successful transfers, total bot sessions, answered (an agent wrote),
-- engaged, closed (conversations with a handover request that an agent
-- closed in the period), engaged customers, the initial wait (first customer
-- message -> agent reply) and the duration of engaged sessions, each as
-- average (seconds and formatted), median and 90th percentile.
-- Serves: seed 001 "Conversations" (the eight indicators).
-- Filters: channel, channel_type, platform, establishment, hours.
with sessions as (
    select * from bot_sessions
    where report_check('bot_conversations_summary', 'channel,channel_type,platform,establishment,hours')
),

session_stats as (
    select
        count(*) as total_conversations,
        sum(case when answered then 1 else 0 end) as answered_conversations,
        sum(case when engaged then 1 else 0 end) as engaged_conversations,
        count(distinct case when engaged then contact_id end) as engaged_customers,
        avg(initial_wait_seconds) as average_initial_wait_seconds,
        median(initial_wait_seconds) as median_initial_wait_seconds,
        percentile_cont(0.9) within group (order by initial_wait_seconds) as p90_initial_wait_seconds,
        avg(case when engaged then duration_seconds end) as average_bot_duration_seconds,
        median(case when engaged then duration_seconds end) as median_bot_duration_seconds,
        percentile_cont(0.9) within group (order by case when engaged then duration_seconds end)
            as p90_bot_duration_seconds
    from sessions
),

transfers as (
    select sum(successful) as successful_transfers from handover_requests
),

handover_conversations as (
    select distinct workspace_id, conversation_id
    from events
    where event_type = 'handover' and ts <= report_as_of()
),

closed_by_agents as (
    select count(*) as closed_conversations
    from period_conversations as c
    left semi join handover_conversations as h
        on h.workspace_id = c.workspace_id and h.conversation_id = c.conversation_id
    where c.closed_in_period and c.closed_source = 'user'
)

select
    coalesce(t.successful_transfers, 0) as successful_transfers,
    s.total_conversations,
    coalesce(s.answered_conversations, 0) as answered_conversations,
    coalesce(s.engaged_conversations, 0) as engaged_conversations,
    c.closed_conversations,
    s.engaged_customers,
    s.average_initial_wait_seconds,
    format_duration(s.average_initial_wait_seconds) as average_initial_wait,
    s.median_initial_wait_seconds,
    s.p90_initial_wait_seconds,
    s.average_bot_duration_seconds,
    format_duration(s.average_bot_duration_seconds) as average_bot_duration,
    s.median_bot_duration_seconds,
    s.p90_bot_duration_seconds
from session_stats as s
cross join transfers as t
cross join closed_by_agents as c
