-- active_chats_evolution: one row per bucket of the period at the grain of
-- convlake.evolution_grain (day, week, month or year, in local time), with
-- the customers with an active chat in it and, beside, those of the same
-- bucket of the previous period: the same length, immediately before
-- ([start - length, start)), shifted by that length onto this period. The
-- period `all` has no previous period: previous_customers is NULL there.
-- Serves: seed 003 "Évolution" (solid line: this period; dotted: previous).
-- Filters: channel, channel_type, platform, establishment, region, sector, country, hours.
with span as (
    select report_start() as period_start, report_end() as period_end,
        case when report_whole_lake() then null else report_end() - report_start() end
            as period_length
),

two_periods as (
    select distinct
        e.event_id, e.ts, e.workspace_id, e.contact_id, e.channel_id, e.establishment_id,
        e.ts >= span.period_start as current_period
    from events as e
    cross join span
    where e.event_type = 'message'
        and e.ts >= coalesce(span.period_start - span.period_length, span.period_start)
        and e.ts < span.period_end
        and e.ts <= report_as_of()
        and report_filter('workspace', e.workspace_id)
        and report_check('active_chats_evolution', 'channel,channel_type,platform,establishment,region,sector,country,hours')
),

described as (
    select
        m.*,
        -- The previous period's messages are moved onto this period's buckets.
        case when m.current_period then m.ts else m.ts + span.period_length end as aligned_ts,
        coalesce(workspaces.timezone, report_timezone()) as timezone,
        channels.name as channel_name,
        channels.channel_type,
        channels.platform,
        establishments.name as establishment_name,
        establishments.region,
        establishments.sector,
        establishments.country
    from two_periods as m
    cross join span
    left join workspaces on workspaces.workspace_id = m.workspace_id
    left join channels on channels.channel_id = m.channel_id
    left join establishments on establishments.establishment_id = m.establishment_id
),

filtered as (
    select *, date_trunc(report_grain(), to_local(aligned_ts, timezone)) as bucket
    from described
    where report_filter('channel', channel_id, channel_name)
        and report_filter('channel_type', channel_type)
        and report_filter('platform', platform)
        and report_filter('establishment', establishment_id, establishment_name)
        and report_filter('region', region)
        and report_filter('sector', sector)
        and report_filter('country', country)
        and cast(date_part('hour', to_local(ts, timezone)) as bigint) >= report_hour_from()
        and cast(date_part('hour', to_local(ts, timezone)) as bigint) < report_hour_to()
)

select
    bucket,
    report_grain() as grain,
    count(distinct case when current_period then workspace_id || '/' || contact_id end) as customers,
    case when report_whole_lake() then null
        else count(distinct case when not current_period then workspace_id || '/' || contact_id end)
    end as previous_customers
from filtered
group by bucket
order by bucket
