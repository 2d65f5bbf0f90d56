-- period_conversation_ids: the conversations with an opening or closing in
-- the report period (convlake.period, as of convlake.as_of), in the
-- workspaces of convlake.workspace. conversations_from_events reads their
-- events, for a bounded period. `convlake materialize` plans that view in a
-- session of its own where this name holds the conversations of the lake's
-- new files instead (src/materialize/conversations.rs).
-- Serves: conversations_from_events (seed 000, "Liste de conversation").
-- Filters: none (period, as-of and workspace only).
-- Openings and closings in the period: a ts range that prunes files and
-- row groups by their statistics.
select distinct workspace_id, conversation_id
from events
where event_type in ('conversation_opened', 'conversation_closed')
    and ts >= report_start()
    and ts < report_end()
    and ts <= report_as_of()
    and report_filter('workspace', workspace_id)
