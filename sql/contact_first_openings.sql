-- contact_first_openings: each contact's first opening in its workspace,
-- for new vs returning (SPEC.md §2, "contact type"), from the raw events.
-- A lake materialised by `convlake materialize` registers a table of this
-- name in its place, holding the same rows for the whole lake
-- (src/materialize/first_openings.rs); readers filter on first_opened_at either way.
-- Only the openings before the period's end and the as-of time can come
-- first, so that bound prunes files and row groups here.
select workspace_id, contact_id, min(ts) as first_opened_at
from events
where event_type = 'conversation_opened'
    and ts < report_end()
    and ts <= report_as_of()
group by workspace_id, contact_id
