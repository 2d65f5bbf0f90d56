-- heatmap_opened: 168 rows, one per weekday (1 = Monday .. 7 = Sunday) and
-- local hour (0..23), with the conversations opened in the period then.
-- Serves: seed 000 "Carte thermique des conversations ouvertes".
-- Filters: opened_channel, opened_source, contact_type, contact, conversation_id.
with facts as (
    select *
    from conversation_openings
    where report_check('heatmap_opened', 'opened_channel,opened_source,contact_type,contact,conversation_id')
),

local_times as (
    select to_local(opened_at, timezone) as local_ts from facts
),

counts as (
    select
        cast(date_part('isodow', local_ts) as bigint) as weekday,
        cast(date_part('hour', local_ts) as bigint) as hour,
        count(*) as conversations
    from local_times
    group by 1, 2
)

select
    grid.weekday,
    grid.weekday_name,
    grid.hour,
    coalesce(counts.conversations, 0) as conversations
from weekday_hours as grid
left join counts on counts.weekday = grid.weekday and counts.hour = grid.hour
order by grid.weekday, grid.hour
