-- conversations_from_events: one row per conversation with an opening or
-- closing event in the report period (convlake.period, as of
-- convlake.as_of), in the workspaces of convlake.workspace: every
-- per-conversation metric of SPEC.md §2 from one pass over its events, its
-- contact's name and type (new or returning). period_conversations reads it,
-- or the lake's materialisation of it (sql/materialised_conversations.sql).
-- Serves: period_conversations (seed 000, "Liste de conversation").
-- Filters: none (period, as-of and workspace only).
with conversation_events as (
    -- The whole lake (period 'all'): every conversation, read in the files'
    -- order with no join, so the metrics stream conversation by
    -- conversation. period_conversations' WHERE keeps those with their own
    -- opening or closing, as the semi join would. The planner folds
    -- report_whole_lake() to a literal and drops the branch that is false.
    select events.*
    from events
    where report_whole_lake()
        and events.ts <= report_as_of()
        and report_filter('workspace', events.workspace_id)

    union all

    -- A bounded period: the events of the conversations it names only
    -- (sql/period_conversation_ids.sql; `convlake materialize` puts the
    -- conversations of the lake's new files there).
    select events.*
    from events
    left semi join period_conversation_ids as ids
        on events.workspace_id = ids.workspace_id
        and events.conversation_id = ids.conversation_id
    where not report_whole_lake()
        and events.ts <= report_as_of()
),

metrics as (
    -- One pass over each conversation's events in (ts, event_id) order.
    select
        workspace_id,
        conversation_id,
        min(contact_id) as contact_id,
        min(establishment_id) as establishment_id,
        conversation_metrics(
            ts, event_id, event_type, direction, sender_type, actor_user_id,
            assignee_user_id, team_id, source, source_detail, channel_id,
            category, summary
        ) as m
    from conversation_events
    group by workspace_id, conversation_id
),

first_openings as (
    -- A contact's first conversation in the lake, for new vs returning
    -- (sql/contact_first_openings.sql, or the lake's materialisation). A
    -- conversation closed in the period may have opened long before it, so
    -- no lower bound applies. One row per contact, so the planner drops
    -- the join where no contact type is read.
    select workspace_id as first_workspace_id, contact_id as first_contact_id, first_opened_at
    from contact_first_openings
    where first_opened_at <= report_as_of()
),

contact_names as (
    -- One row per contact id, so the planner drops the join where no
    -- contact column is read (conversation_summary, the closed breakdowns).
    select contact_id as named_contact_id, min(name) as name, min(first_conversation_at) as first_conversation_at
    from contacts
    group by contact_id
),

flattened as (
    select
        metrics.workspace_id,
        metrics.conversation_id,
        metrics.contact_id,
        metrics.establishment_id,
        m['opened_at'] as opened_at,
        m['opened_source'] as opened_source,
        m['opened_source_detail'] as opened_source_detail,
        m['opened_channel_id'] as opened_channel_id,
        m['opened_by_user_id'] as opened_by_user_id,
        m['assigned_at_opening'] as assigned_at_opening,
        m['first_assignment_at'] as first_assignment_at,
        m['first_assignee_id'] as first_assignee_id,
        m['last_assignment_at'] as last_assignment_at,
        m['last_assignee_id'] as last_assignee_id,
        m['assignments'] as assignments,
        m['first_response_at'] as first_response_at,
        m['first_response_by_user_id'] as first_response_by_user_id,
        m['last_assignee_response_at'] as last_assignee_response_at,
        m['responses'] as responses,
        m['response_time_total_seconds'] as response_time_total_seconds,
        m['incoming_messages'] as incoming_messages,
        m['outgoing_messages'] as outgoing_messages,
        m['first_incoming_at'] as first_incoming_at,
        m['pickup_at'] as pickup_at,
        m['last_message_at'] as last_message_at,
        m['last_message_incoming'] as last_message_incoming,
        m['closed_at'] as closed_at,
        m['closed_source'] as closed_source,
        m['closed_by_user_id'] as closed_by_user_id,
        m['closed_by_team_id'] as closed_by_team_id,
        m['category'] as category,
        m['summary'] as summary
    from metrics
),

with_contact_type as (
    -- The per-contact tables name their columns apart from flattened's: a
    -- report filter on the contact, pushed down to this join through
    -- period_conversations' UNION ALL, met two `contact_id` here and
    -- failed in DataFusion 55's common_sub_expression_eliminate
    -- ("Ambiguous reference to unqualified field contact_id").
    -- The per-contact tables are written first (the build side of the
    -- hash joins), so the conversations stream through as the probe side in
    -- their order instead of being held in a hash table.
    select
        flattened.*,
        case
            when flattened.opened_at is null then null
            when flattened.opened_at = first_openings.first_opened_at
                and (contacts.first_conversation_at is null
                    or flattened.opened_at <= contacts.first_conversation_at)
                then 'new'
            else 'returning'
        end as contact_type,
        coalesce(contacts.name, flattened.contact_id) as contact_name
    from contact_names as contacts
    right join (
        first_openings
        right join flattened
            on first_openings.first_workspace_id = flattened.workspace_id
            and first_openings.first_contact_id = flattened.contact_id
    )
        on contacts.named_contact_id = flattened.contact_id
)

select * from with_contact_type
