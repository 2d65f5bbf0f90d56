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

closed_by_agents as (
    -- Conversations an agent closed in the period that had a handover
    -- request inside their span (SPEC.md §1.2), narrowed by the same
    -- filters as the sessions (the opening channel; the closing's local hour).
    select count(*) as closed_conversations
    from period_conversations as c
    where c.closed_in_period
        and c.closed_source = 'user'
        and report_filter('channel', c.opened_channel_id, c.opened_channel_name)
        and report_filter('channel_type', c.opened_channel_type)
        and report_filter('platform', c.opened_channel_platform)
        and report_filter('establishment', c.establishment_id, c.establishment_name)
        and cast(date_part('hour', to_local(c.closed_at, c.timezone)) as bigint) >= report_hour_from()
        and cast(date_part('hour', to_local(c.closed_at, c.timezone)) as bigint) < report_hour_to()
        and exists (
            select 1
            from events as h
            where h.event_type = 'handover'
                and h.workspace_id = c.workspace_id
                and h.conversation_id = c.conversation_id
                and (c.opened_at is null or h.ts >= c.opened_at)
                and h.ts <= c.closed_at
        )
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
