-- heatmap_opened in DuckDB: the 168 cells of ISO weekday (1 = Monday .. 7 =
-- Sunday) x local hour, with the conversations opened in [{start}, {end})
-- (a conversation's opening is its first conversation_opened, known at
-- {as_of}), in the workspace's time zone, else {timezone}.
--
-- Parameters, substituted by benches/run.py before DuckDB sees the text:
--   {lake}, {start}, {end}, {as_of}, {timezone}

with openings as (
    -- An earlier opening outside the period would be the conversation's
    -- opening: only the period's end bounds the scan.
    select workspace_id, conversation_id, min(ts) as opened_at
    from read_parquet('{lake}/events/**/*.parquet', hive_partitioning = true)
    where event_type = 'conversation_opened'
        and ts <= TIMESTAMPTZ '{as_of}'
        and ts < TIMESTAMPTZ '{end}'
    group by workspace_id, conversation_id
),

local_openings as (
    select timezone(coalesce(workspaces.timezone, '{timezone}'), openings.opened_at) as local_ts
    from openings
    left join read_parquet('{lake}/workspaces/*.parquet') as workspaces
        on workspaces.workspace_id = openings.workspace_id
    where openings.opened_at >= TIMESTAMPTZ '{start}'
),

counts as (
    select isodow(local_ts) as weekday, hour(local_ts) as hour, count(*) as conversations
    from local_openings
    group by all
),

grid as (
    select weekdays.weekday, hours.hour
    from range(1, 8) as weekdays(weekday)
    cross join range(0, 24) as hours(hour)
)

select
    grid.weekday,
    ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][grid.weekday] as weekday_name,
    grid.hour,
    coalesce(counts.conversations, 0) as conversations
from grid
left join counts on counts.weekday = grid.weekday and counts.hour = grid.hour
order by grid.weekday, grid.hour
