-- closed_by_source: one row per closing source of conversations closed in
-- the period (user, bot, workflow, api, zapier, make, blocked; merges and
-- deletions are not closings), with the count and the share (0..1).
-- Serves: seed 000 "Conversations fermées par la source" (bar and pie charts).
-- Filters: all of seed 000.
with facts as (
    select * from conversation_facts where report_check('closed_by_source', '*') and closed_in_period
),

counts as (
    select closed_source as source, count(*) as conversations from facts group by 1
)

select source, conversations, conversations * 1.0 / sum(conversations) over () as share
from counts
order by conversations desc, source
