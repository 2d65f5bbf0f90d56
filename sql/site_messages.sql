-- site_messages: one row per message (any direction or sender) sent in the
-- period, with its channel, platform and establishment: the activity that
-- makes a chat "active" (seed 003: at least one message in the period).
-- Messages outside their conversation's opened..closed span count here too
-- (SPEC.md §1.2). Re-deliveries count once.
-- Serves: the base of Partoo's active-chat components (seed 003) and of
-- Heyday's messages_by_sender (seed 002).
-- Filters: channel, channel_type, platform, establishment, region, sector,
-- country, hours (local hour of the message).
with period_messages as (
    select distinct
        event_id, ts, workspace_id, conversation_id, contact_id, direction,
        sender_type, channel_id, establishment_id
    from events
    where event_type = 'message'
        and ts >= report_start()
        and ts < report_end()
        and ts <= report_as_of()
        and report_filter('workspace', workspace_id)
),

described as (
    select
        m.*,
        case
            when m.direction = 'incoming' then 'customer'
            when m.sender_type = 'user' then 'agent'
            when m.sender_type = 'bot' then 'bot'
            else 'automation'
        end as sender,
        coalesce(channels.name, m.channel_id) as channel_name,
        channels.channel_type,
        channels.platform,
        coalesce(establishments.name, m.establishment_id) as establishment_name,
        establishments.region,
        establishments.sector,
        establishments.country,
        coalesce(workspaces.timezone, report_timezone()) as timezone
    from period_messages as m
    left join channels on channels.channel_id = m.channel_id
    left join establishments on establishments.establishment_id = m.establishment_id
    left join workspaces on workspaces.workspace_id = m.workspace_id
)

select *, cast(date_part('hour', to_local(ts, timezone)) as bigint) as local_hour
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
