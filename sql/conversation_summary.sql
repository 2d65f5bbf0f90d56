-- conversation_summary: one row; conversations opened and closed in the
-- period (closures by contact merge or deletion are not closings).
-- Serves: seed 000 "Aperçu des conversations" (indicators 1 and 2).
-- Filters: all of seed 000.
with facts as (
    select * from conversation_facts where report_check('conversation_summary', '*')
),

counts as (
    select
        sum(case when opened_in_period then 1 else 0 end) as opened,
        sum(case when closed_in_period then 1 else 0 end) as closed
    from facts
)

select coalesce(opened, 0) as opened, coalesce(closed, 0) as closed from counts
