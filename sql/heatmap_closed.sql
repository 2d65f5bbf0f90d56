-- heatmap_closed: 168 rows, one per weekday (1 = Monday .. 7 = Sunday) and
-- local hour (0..23), with the conversations closed in the period then.
-- Serves: seed 000 "Carte thermique des conversations fermées".
-- Filters: all of seed 000.
with facts as (
    select *
    from conversation_facts
    where report_check('heatmap_closed', '*')
        and closed_in_period
),

local_times as (
    select to_local(closed_at, timezone) as local_ts from facts
),

counts as (
    select
        (cast(date_part('dow', local_ts) as bigint) + 6) % 7 + 1 as weekday,
        cast(date_part('hour', local_ts) as bigint) as hour,
        count(*) as conversations
    from local_times
    group by 1, 2
),

grid as (
    select w.value as weekday, h.value as hour
    from range(1, 8) as w
    cross join range(0, 24) as h
)

select
    grid.weekday,
    case grid.weekday when 1 then 'Mon' when 2 then 'Tue' when 3 then 'Wed' when 4 then 'Thu'
        when 5 then 'Fri' when 6 then 'Sat' else 'Sun' end as weekday_name,
    grid.hour,
    coalesce(counts.conversations, 0) as conversations
from grid
left join counts on counts.weekday = grid.weekday and counts.hour = grid.hour
order by grid.weekday, grid.hour
