-- opened_by_source: one row per opening source with conversations opened
-- in the period, paid ads split by sub-source (meta, tiktok), with the
-- count and the share (0..1), largest first.
-- Serves: seed 000 "Conversations ouvertes par la source" (bar and pie charts).
-- Filters: opened_channel, opened_source, contact_type, contact, conversation_id.
with facts as (
    select *
    from conversation_openings
    where report_check('opened_by_source', 'opened_channel,opened_source,contact_type,contact,conversation_id')
),

counts as (
    select
        opened_source as source,
        case when opened_source = 'paid_ads' then opened_source_detail end as sub_source,
        count(*) as conversations
    from facts
    group by 1, 2
)

select
    source,
    sub_source,
    conversations,
    conversations * 1.0 / sum(conversations) over () as share
from counts
order by conversations desc, source, sub_source
