-- first_response_distribution: one row per channel type and first-response
-- bucket (<1h, 1-4h, 4-8h, 8-24h, >24h; 3,599 s is <1h, 3,600 s 1-4h,
-- 86,400 s >24h) of the conversations opened in the period that got a
-- first response, with the count and the share within the channel type.
-- Serves: beyond the seeds (distributions beside the averages).
-- Filters: all of seed 000.
with facts as (
    select * from conversation_facts
    where report_check('first_response_distribution', '*')
        and opened_in_period
        and first_response_time_seconds is not null
),

buckets as (
    select coalesce(opened_channel_type, '-') as channel_type,
        delay_bucket(first_response_time_seconds) as bucket,
        count(*) as conversations
    from facts
    group by 1, 2
)

select
    channel_type,
    bucket,
    conversations,
    conversations * 1.0 / sum(conversations) over (partition by channel_type) as share
from buckets
order by channel_type, case bucket when '<1h' then 1 when '1-4h' then 2 when '4-8h' then 3 when '8-24h' then 4 else 5 end
