-- conversations_by_channel_support_type: one row per channel and support
-- type (agent: an agent wrote in the session; chatbot: only the bot and the
-- customer), with all sessions and engaged sessions (Heyday's two views of
-- the chart).
-- Serves: seed 001 "conversations par canal et par type de soutien" and 002
-- "Conversations traitées par type d'assistance".
-- Filters: channel, channel_type, platform, establishment, hours.
with sessions as (
    select * from bot_sessions
    where report_check('conversations_by_channel_support_type', 'channel,channel_type,platform,establishment,hours')
)

select
    channel_id,
    coalesce(channel_name, '-') as channel_name,
    channel_type,
    support_type,
    count(*) as conversations,
    sum(case when engaged then 1 else 0 end) as engaged_conversations
from sessions
group by 1, 2, 3, 4
order by 2, 4
