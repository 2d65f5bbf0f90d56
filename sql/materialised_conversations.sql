-- materialised_conversations: every conversation of the lake, as
-- conversations_from_events computes them for the whole lake as of its last
-- event. `convlake materialize` writes them to
-- <lake>/_convlake/conversations.parquet (src/materialize/conversations.rs), and a lake
-- registers that file under this name while it covers exactly the lake's
-- events and contacts files. Without one, this view has the columns and no
-- rows, and period_conversations reads the events.
-- Serves: period_conversations.
-- Filters: none.
select * from conversations_from_events where false
