-- active_chats: one row: the customers with an active chat (at least one
-- message, in either direction, in the period; counted per contact) and the
-- active chats (conversations) themselves.
-- Serves: seed 003 "Volume de chat", top of the dashboard.
-- Filters: channel, channel_type, platform, establishment, region, sector, country, hours.
with messages as (
    select * from site_messages
    where report_check('active_chats', 'channel,channel_type,platform,establishment,region,sector,country,hours')
)

select
    count(distinct workspace_id || '/' || contact_id) as customers,
    count(distinct workspace_id || '/' || conversation_id) as chats
from messages
