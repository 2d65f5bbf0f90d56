-- weekday_hours: the 168 cells of a heat-map: one row per ISO weekday
-- (1 = Monday .. 7 = Sunday, with its short name) and hour of day (0..23).
-- Serves: the grid of heatmap_opened, heatmap_closed, activity_heatmap and
-- pickup_delay_heatmap, so empty cells are rows too.
-- Filters: none.
with weekdays as (
    select value as weekday from range(1, 8)
),

hours as (
    select value as hour from range(0, 24)
)

select
    weekdays.weekday,
    case weekdays.weekday when 1 then 'Mon' when 2 then 'Tue' when 3 then 'Wed' when 4 then 'Thu'
        when 5 then 'Fri' when 6 then 'Sat' else 'Sun' end as weekday_name,
    hours.hour
from weekdays
cross join hours
