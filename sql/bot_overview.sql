-- bot_overview: one row: the bot sessions of the period, how many were
-- engaged, the unique customers who engaged, and the session duration
-- (average, median, 90th percentile; seconds and formatted).
-- Serves: seed 002 "Aperçu des conversations" (durée moyenne, conversations
-- totales, conversations engagées, clients uniques).
-- Filters: channel, channel_type, platform, establishment, hours.
with sessions as (
    select * from bot_sessions
    where report_check('bot_overview', 'channel,channel_type,platform,establishment,hours')
),

stats as (
    select
        count(*) as conversations,
        sum(case when engaged then 1 else 0 end) as engaged_conversations,
        count(distinct case when engaged then contact_id end) as unique_customers,
        avg(duration_seconds) as average_duration_seconds,
        median(duration_seconds) as median_duration_seconds,
        percentile_cont(0.9) within group (order by duration_seconds) as p90_duration_seconds
    from sessions
)

select
    conversations,
    coalesce(engaged_conversations, 0) as engaged_conversations,
    unique_customers,
    average_duration_seconds,
    format_duration(average_duration_seconds) as average_duration,
    median_duration_seconds,
    p90_duration_seconds
from stats
