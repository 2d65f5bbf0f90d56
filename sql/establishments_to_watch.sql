-- establishments_to_watch: one row per establishment with customers waiting
-- for an answer: conversations whose last message (at the as-of time) came
-- from the customer more than convlake.waiting_days (4) ago. With the
-- number of waiting customers and the longest wait (seconds, formatted).
-- Not bound to the period: waiting is a state at the as-of time.
-- Serves: seed 003 "Établissements à surveiller".
-- Filters: channel (the opening channel), channel_type, platform, establishment, region, sector, country.
with conversations as (
    select
        workspace_id,
        conversation_id,
        min(contact_id) as contact_id,
        min(establishment_id) as establishment_id,
        conversation_metrics(
            ts, event_id, event_type, direction, sender_type, actor_user_id,
            assignee_user_id, team_id, source, source_detail, channel_id,
            category, summary
        ) as m
    from events
    where ts <= report_as_of()
        and report_filter('workspace', workspace_id)
        and report_check('establishments_to_watch', 'channel,channel_type,platform,establishment,region,sector,country')
    group by workspace_id, conversation_id
),

waiting as (
    select
        c.workspace_id,
        c.conversation_id,
        c.contact_id,
        c.establishment_id,
        seconds_between(c.m['last_message_at'], report_as_of()) as waiting_seconds,
        c.m['opened_channel_id'] as channel_id
    from conversations as c
    where c.m['last_message_incoming']
        and seconds_between(c.m['last_message_at'], report_as_of()) > report_waiting_threshold()
),

described as (
    select
        w.*,
        coalesce(establishments.name, w.establishment_id) as establishment_name,
        establishments.region,
        establishments.sector,
        establishments.country
    from waiting as w
    left join establishments on establishments.establishment_id = w.establishment_id
    left join channels on channels.channel_id = w.channel_id
    where report_filter('channel', w.channel_id, channels.name)
        and report_filter('channel_type', channels.channel_type)
        and report_filter('platform', channels.platform)
        and report_filter('establishment', w.establishment_id, establishments.name)
        and report_filter('region', establishments.region)
        and report_filter('sector', establishments.sector)
        and report_filter('country', establishments.country)
)

select
    workspace_id,
    establishment_id,
    establishment_name,
    region,
    sector,
    country,
    count(distinct contact_id) as waiting_customers,
    max(waiting_seconds) as longest_wait_seconds,
    format_duration(max(waiting_seconds)) as longest_wait
from described
group by 1, 2, 3, 4, 5, 6
order by waiting_customers desc, longest_wait_seconds desc
