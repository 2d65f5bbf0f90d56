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
    -- A period of one local day or less (25 h on the day summer time ends) is
    -- shown per hour; both branches fold to one.
    select
        case when seconds_between(report_start(), report_end()) <= 90000
            then date_trunc('hour', local_ts) else date_trunc('day', local_ts) end as bucket,
        case when seconds_between(report_start(), report_end()) <= 90000 then 'hour' else 'day' end as grain,
        opened,
        closed
    from events_in_period
)

select bucket, grain, sum(opened) as opened, sum(closed) as closed
from bucketed
group by bucket, grain
order by bucket
