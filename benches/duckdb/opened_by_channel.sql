-- opened_by_channel in DuckDB: the conversations opened in [{start}, {end})
-- (the whole lake: '-infinity' .. 'infinity'), known at {as_of}, by the
-- channel of their opening (the first conversation_opened in (ts, event_id)
-- order; NULL, shown '-', when a user opened it by hand), with the share.
--
-- Parameters, substituted by benches/run.py before DuckDB sees the text:
--   {lake}, {start}, {end}, {as_of}

with openings as (
    select ts as opened_at, channel_id
    from read_parquet('{lake}/events/**/*.parquet', hive_partitioning = true)
    where event_type = 'conversation_opened'
        and ts <= TIMESTAMPTZ '{as_of}'
        and ts < TIMESTAMPTZ '{end}'
    qualify row_number() over (partition by workspace_id, conversation_id order by ts, event_id) = 1
),

counts as (
    select
        openings.channel_id,
        coalesce(channels.name, openings.channel_id, '-') as channel_name,
        channels.channel_type,
        count(*) as conversations
    from openings
    left join read_parquet('{lake}/channels/*.parquet') as channels
        on channels.channel_id = openings.channel_id
    where openings.opened_at >= TIMESTAMPTZ '{start}'
    group by all
)

select
    channel_id,
    channel_name,
    channel_type,
    conversations,
    conversations / sum(conversations) over () as share
from counts
order by conversations desc, channel_name
