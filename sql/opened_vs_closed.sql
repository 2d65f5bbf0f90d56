-- opened_vs_closed: one row per day of the period (per hour when the period
-- is one day or less) that has openings or closings, in local time.
-- Serves: seed 000 "Barre Graphique : Conversation ouverte vs fermée".
-- Filters: opened_channel, opened_source, contact_type, contact, conversation_id.
with facts as (
    select *
    from conversation_facts
    where report_check('opened_vs_closed', 'opened_channel,opened_source,contact_type,contact,conversation_id')
),

events_in_period as (
    select to_local(opened_at, timezone) as local_ts, 1 as opened, 0 as closed from facts where opened_in_period
    union all
    select to_local(closed_at, timezone) as local_ts, 0 as opened, 1 as closed from facts where closed_in_period
),

bucketed as (
    -- report_bucket_unit(): 'hour' for a one-day period (up to 25 h, the day
    -- summer time ends), else 'day'.
    select
        date_trunc(report_bucket_unit(), local_ts) as bucket,
        report_bucket_unit() as grain,
        opened,
        closed
    from events_in_period
)

select bucket, grain, sum(opened) as opened, sum(closed) as closed
from bucketed
group by bucket, grain
order by bucket
