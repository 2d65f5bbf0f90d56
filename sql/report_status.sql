-- report_status: one row per respond.io component, with the set filters
-- that do not apply to it and the notice the report shows in its place:
-- 'filter not applicable here: ...', 'no data for the selected filters'
-- (the period has conversations, the filters leave none) or
-- 'no data in the period'; NULL when the component has data.
-- Serves: seed 000 "Filtres" (the two messages a chart can show).
-- Filters: reads them all; fails on none.
with components as (
    select 1 as position, 'conversation_summary' as component, 'any' as basis, report_inapplicable('*') as inapplicable
    union all select 2, 'opened_vs_closed', 'any', report_inapplicable('opened_channel,opened_source,contact_type,contact,conversation_id')
    union all select 3, 'heatmap_opened', 'opened', report_inapplicable('opened_channel,opened_source,contact_type,contact,conversation_id')
    union all select 4, 'heatmap_closed', 'closed', report_inapplicable('*')
    union all select 5, 'opened_by_contact_type', 'opened', report_inapplicable('opened_channel,opened_source,contact_type,contact,conversation_id')
    union all select 6, 'opened_by_source', 'opened', report_inapplicable('opened_channel,opened_source,contact_type,contact,conversation_id')
    union all select 7, 'opened_by_channel', 'opened', report_inapplicable('opened_channel,opened_source,contact_type,contact,conversation_id')
    union all select 8, 'closed_by_category', 'closed', report_inapplicable('*')
    union all select 9, 'closed_by_source', 'closed', report_inapplicable('*')
    union all select 10, 'closed_by_contact_type', 'closed', report_inapplicable('*')
    union all select 11, 'conversation_list', 'closed', report_inapplicable('*')
),

unfiltered as (
    select
        sum(case when opened_in_period then 1 else 0 end) as opened,
        sum(case when closed_in_period then 1 else 0 end) as closed
    from period_conversations
),

filtered as (
    select
        sum(case when opened_in_period then 1 else 0 end) as opened,
        sum(case when closed_in_period then 1 else 0 end) as closed
    from conversation_facts
),

counts as (
    select
        c.position,
        c.component,
        c.inapplicable,
        case c.basis
            when 'opened' then coalesce(u.opened, 0)
            when 'closed' then coalesce(u.closed, 0)
            else coalesce(u.opened, 0) + coalesce(u.closed, 0)
        end as in_period,
        case c.basis
            when 'opened' then coalesce(f.opened, 0)
            when 'closed' then coalesce(f.closed, 0)
            else coalesce(f.opened, 0) + coalesce(f.closed, 0)
        end as selected
    from components as c
    cross join unfiltered as u
    cross join filtered as f
)

select
    position,
    component,
    replace(inapplicable, ',', ', ') as inapplicable_filters,
    selected as conversations,
    case
        when inapplicable is not null then 'filter not applicable here: ' || replace(inapplicable, ',', ', ')
        when in_period = 0 then 'no data in the period'
        when selected = 0 then 'no data for the selected filters'
    end as notice
from counts
order by position
