-- opened_by_contact_type: two rows, new and returning, with the
-- conversations opened in the period and their share (0..1).
-- Serves: seed 000 "Conversations ouvertes par type de contact" (indicators,
-- bar chart, pie chart).
-- Filters: opened_channel, opened_source, contact_type, contact, conversation_id.
with facts as (
    select *
    from conversation_openings
    where report_check('opened_by_contact_type', 'opened_channel,opened_source,contact_type,contact,conversation_id')
),

contact_types as (
    select column1 as contact_type, column2 as sort_key from (values ('new', 1), ('returning', 2))
),

counts as (
    select contact_type, count(*) as conversations from facts group by contact_type
)

select
    t.contact_type,
    coalesce(c.conversations, 0) as conversations,
    coalesce(c.conversations, 0) * 1.0 / nullif(sum(coalesce(c.conversations, 0)) over (), 0) as share
from contact_types as t
left join counts as c on c.contact_type = t.contact_type
order by t.sort_key
