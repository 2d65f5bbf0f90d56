-- active_chats_breakdown: one row per channel and one per platform, with
-- the customers who had an active chat through it in the period and their
-- share (0..1) of all active customers (a customer active on two channels
-- counts in both, so shares may add up to more than 1).
-- Serves: seed 003 "Répartition" (by channel and by platform).
-- Filters: channel, channel_type, platform, establishment, region, sector, country, hours.
with messages as (
    select * from site_messages
    where report_check('active_chats_breakdown', 'channel,channel_type,platform,establishment,region,sector,country,hours')
),

total as (
    select count(distinct workspace_id || '/' || contact_id) as customers from messages
),

by_channel as (
    select 'channel' as breakdown, channel_id as key, coalesce(channel_name, '-') as name,
        count(distinct workspace_id || '/' || contact_id) as customers
    from messages
    group by 1, 2, 3
),

by_platform as (
    select 'platform' as breakdown, platform as key, coalesce(platform, '-') as name,
        count(distinct workspace_id || '/' || contact_id) as customers
    from messages
    group by 1, 2, 3
),

both_breakdowns as (
    select * from by_channel
    union all
    select * from by_platform
)

select b.breakdown, b.key, b.name, b.customers, b.customers * 1.0 / t.customers as share
from both_breakdowns as b
cross join total as t
order by b.breakdown, b.customers desc, b.name
