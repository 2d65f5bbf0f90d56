-- bot_engagement: one row per local day of the period (per local hour when
-- the period is one day, as Heyday shows "today") with sessions, active
-- (engaged: the customer answered the welcome message) and non-active.
-- Serves: seed 002 "Engagement / Nombre de conversations par type d'engagement".
-- Filters: channel, channel_type, platform, establishment, hours.
with sessions as (
    select * from bot_sessions
    where report_check('bot_engagement', 'channel,channel_type,platform,establishment,hours')
),

bucketed as (
    select
        date_trunc(report_bucket_unit(), to_local(started_at, timezone)) as bucket,
        report_bucket_unit() as grain,
        engaged
    from sessions
)

select
    bucket,
    grain,
    sum(case when engaged then 1 else 0 end) as active,
    sum(case when engaged then 0 else 1 end) as non_active
from bucketed
group by bucket, grain
order by bucket
