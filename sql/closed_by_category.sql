-- closed_by_category: one row per closing-note category of conversations
-- closed in the period ('-' for none), with the count and the share (0..1),
-- largest first.
-- Serves: seed 000 "Conversations fermées par catégorie" (bar and pie charts).
-- Filters: all of seed 000.
with facts as (
    select * from conversation_facts where report_check('closed_by_category', '*') and closed_in_period
),

counts as (
    select coalesce(category, '-') as category, count(*) as conversations from facts group by 1
)

select category, conversations, conversations * 1.0 / sum(conversations) over () as share
from counts
order by conversations desc, category
