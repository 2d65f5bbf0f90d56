-- messages_by_sender: one row per local day of the period (per local hour
-- for a one-day period) with the messages written by agents, by the bot,
-- by customers, and by automation (workflows, API, broadcasts, integrations).
-- Serves: seed 002 "Nombre de messages".
-- Filters: channel, channel_type, platform, establishment, hours.
with messages as (
    select * from site_messages
    where report_check('messages_by_sender', 'channel,channel_type,platform,establishment,hours')
),

bucketed as (
    select
        date_trunc(report_bucket_unit(), to_local(ts, timezone)) as bucket,
        report_bucket_unit() as grain,
        sender
    from messages
)

select
    bucket,
    grain,
    sum(case when sender = 'agent' then 1 else 0 end) as agent,
    sum(case when sender = 'bot' then 1 else 0 end) as bot,
    sum(case when sender = 'customer' then 1 else 0 end) as customer,
    sum(case when sender = 'automation' then 1 else 0 end) as automation
from bucketed
group by bucket, grain
order by bucket
