-- handover_requests: one row per local day of the period (per local hour for
-- a one-day period) and channel, with the requests to talk to an agent by
-- status: successful (reached the inbox), cancelled (by the customer),
-- disabled (handover switched off), incomplete (not finished), and total.
-- Serves: seeds 001 "Demandes de transfert" (per channel, per status) and
-- 002 "Demandes de transfert et conversations actives".
-- Filters: channel, channel_type, platform, establishment, hours.
with handovers as (
    select distinct e.event_id, e.ts, e.workspace_id, e.channel_id, e.establishment_id, e.handover_status
    from events as e
    where e.event_type = 'handover'
        and e.ts >= report_start()
        and e.ts < report_end()
        and e.ts <= report_as_of()
        and report_filter('workspace', e.workspace_id)
        and report_check('handover_requests', 'channel,channel_type,platform,establishment,hours')
),

described as (
    select
        h.*,
        coalesce(channels.name, h.channel_id) as channel_name,
        channels.channel_type,
        channels.platform,
        coalesce(establishments.name, h.establishment_id) as establishment_name,
        to_local(h.ts, coalesce(workspaces.timezone, report_timezone())) as local_ts
    from handovers as h
    left join channels on channels.channel_id = h.channel_id
    left join establishments on establishments.establishment_id = h.establishment_id
    left join workspaces on workspaces.workspace_id = h.workspace_id
),

filtered as (
    select * from described
    where report_filter('channel', channel_id, channel_name)
        and report_filter('channel_type', channel_type)
        and report_filter('platform', platform)
        and report_filter('establishment', establishment_id, establishment_name)
        and cast(date_part('hour', local_ts) as bigint) >= report_hour_from()
        and cast(date_part('hour', local_ts) as bigint) < report_hour_to()
)

select
    date_trunc(report_bucket_unit(), local_ts) as bucket,
    report_bucket_unit() as grain,
    channel_id,
    coalesce(channel_name, '-') as channel_name,
    sum(case when handover_status = 'successful' then 1 else 0 end) as successful,
    sum(case when handover_status = 'cancelled' then 1 else 0 end) as cancelled,
    sum(case when handover_status = 'disabled' then 1 else 0 end) as disabled,
    sum(case when handover_status = 'incomplete' then 1 else 0 end) as incomplete,
    count(*) as total
from filtered
group by 1, 2, 3, 4
order by 1, 4
