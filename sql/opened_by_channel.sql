-- opened_by_channel: one row per channel conversations were opened on in
-- the period (channel_id NULL, shown '-', for conversations a user opened
-- by hand), with the count and the share (0..1), largest first.
-- Serves: seed 000 "Conversations ouvertes par canal" (bar and pie charts).
-- Filters: opened_channel, opened_source, contact_type, contact, conversation_id.
with facts as (
    select *
    from conversation_openings
    where report_check('opened_by_channel', 'opened_channel,opened_source,contact_type,contact,conversation_id')
),

counts as (
    select
        opened_channel_id as channel_id,
        coalesce(opened_channel_name, '-') as channel_name,
        opened_channel_type as channel_type,
        count(*) as conversations
    from facts
    group by 1, 2, 3
)

select
    channel_id,
    channel_name,
    channel_type,
    conversations,
    conversations * 1.0 / sum(conversations) over () as share
from counts
order by conversations desc, channel_name
