-- pickup_delay_heatmap: 168 rows, one per weekday (1 = Monday .. 7 =
-- Sunday) and local hour of the chats' start (opening) in the period, with
-- the chats, the average pickup delay (first customer message -> first
-- agent reply; chats with no reply have none), its median and 90th
-- percentile, its bucket (<1h, 1-4h, 4-8h, 8-24h, >24h) and `no_chat`
-- for the cells where no chat started (Partoo hatches them).
-- Serves: seed 003 "Délai de prise en charge moyen".
-- Filters: channel (the opening channel), channel_type, platform, establishment, region, sector, country, hours.
with chats as (
    select
        cast(date_part('isodow', to_local(opened_at, timezone)) as bigint) as weekday,
        cast(date_part('hour', to_local(opened_at, timezone)) as bigint) as hour,
        pickup_delay_seconds
    from period_conversations
    where opened_in_period
        and report_check('pickup_delay_heatmap', 'channel,channel_type,platform,establishment,region,sector,country,hours')
        and report_filter('channel', opened_channel_id, opened_channel_name)
        and report_filter('channel_type', opened_channel_type)
        and report_filter('platform', opened_channel_platform)
        and report_filter('establishment', establishment_id, establishment_name)
        and report_filter('region', region)
        and report_filter('sector', sector)
        and report_filter('country', country)
),

cells as (
    select
        weekday,
        hour,
        count(*) as chats,
        count(pickup_delay_seconds) as picked_up,
        avg(pickup_delay_seconds) as average_delay_seconds,
        median(pickup_delay_seconds) as median_delay_seconds,
        percentile_cont(0.9) within group (order by pickup_delay_seconds) as p90_delay_seconds
    from chats
    where hour >= report_hour_from() and hour < report_hour_to()
    group by weekday, hour
)

select
    grid.weekday,
    grid.weekday_name,
    grid.hour,
    coalesce(cells.chats, 0) as chats,
    coalesce(cells.picked_up, 0) as picked_up,
    cells.average_delay_seconds,
    format_duration(cells.average_delay_seconds) as average_delay,
    cells.median_delay_seconds,
    cells.p90_delay_seconds,
    delay_bucket(cells.average_delay_seconds) as bucket,
    cells.chats is null as no_chat
from weekday_hours as grid
left join cells on cells.weekday = grid.weekday and cells.hour = grid.hour
order by grid.weekday, grid.hour
