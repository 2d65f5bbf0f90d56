-- activity_heatmap: 168 rows, one per weekday (1 = Monday .. 7 = Sunday) and
-- local hour, with the engaged bot sessions that started then and the
-- handover requests made then.
-- Serves: seed 001 "activité des conversations" (when customers are most
-- engaged: engaged conversations and requests to talk to an agent).
-- Filters: channel, channel_type, platform, establishment, hours.
with engaged as (
    select to_local(started_at, timezone) as local_ts
    from bot_sessions
    where engaged and report_check('activity_heatmap', 'channel,channel_type,platform,establishment,hours')
),

handover_times as (
    select to_local(e.ts, coalesce(workspaces.timezone, report_timezone())) as local_ts,
        e.channel_id, e.establishment_id
    from (
        select distinct event_id, ts, workspace_id, channel_id, establishment_id
        from events
        where event_type = 'handover' and ts >= report_start() and ts < report_end()
            and ts <= report_as_of() and report_filter('workspace', workspace_id)
    ) as e
    left join workspaces on workspaces.workspace_id = e.workspace_id
    left join channels on channels.channel_id = e.channel_id
    left join establishments on establishments.establishment_id = e.establishment_id
    where report_filter('channel', e.channel_id, channels.name)
        and report_filter('channel_type', channels.channel_type)
        and report_filter('platform', channels.platform)
        and report_filter('establishment', e.establishment_id, establishments.name)
),

cells as (
    select cast(date_part('isodow', local_ts) as bigint) as weekday,
        cast(date_part('hour', local_ts) as bigint) as hour, 1 as engaged, 0 as handovers
    from engaged
    union all
    select cast(date_part('isodow', local_ts) as bigint),
        cast(date_part('hour', local_ts) as bigint), 0, 1
    from handover_times
    where cast(date_part('hour', local_ts) as bigint) >= report_hour_from()
        and cast(date_part('hour', local_ts) as bigint) < report_hour_to()
),

counts as (
    select weekday, hour, sum(engaged) as engaged_conversations, sum(handovers) as handover_requests
    from cells
    group by weekday, hour
)

select
    grid.weekday,
    grid.weekday_name,
    grid.hour,
    coalesce(counts.engaged_conversations, 0) as engaged_conversations,
    coalesce(counts.handover_requests, 0) as handover_requests
from weekday_hours as grid
left join counts on counts.weekday = grid.weekday and counts.hour = grid.hour
order by grid.weekday, grid.hour
