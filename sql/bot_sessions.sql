-- bot_sessions: one row per bot session (Heyday's "conversation", SPEC.md
-- §2) that starts in the period: a run of a conversation's messages with no
-- silence longer than convlake.session_gap_minutes (10), a new one at every
-- re-opening. Engaged = the contact wrote in it; answered = an agent did;
-- support type agent or chatbot; initial wait = first incoming message ->
-- first agent reply; duration = first -> last message.
-- Serves: the base of Heyday's components (seeds 001, 002).
-- Filters: channel, channel_type, platform, establishment, hours (local hour
-- of the session's start).
with period_conversation_ids as (
    select distinct workspace_id, conversation_id
    from events
    where event_type = 'message'
        and ts >= report_start()
        and ts < report_end()
        and ts <= report_as_of()
        and report_filter('workspace', workspace_id)
),

conversation_events as (
    select events.*
    from events
    left semi join period_conversation_ids as ids
        on events.workspace_id = ids.workspace_id
        and events.conversation_id = ids.conversation_id
    where events.ts <= report_as_of()
),

per_conversation as (
    select
        workspace_id,
        conversation_id,
        min(contact_id) as contact_id,
        min(establishment_id) as establishment_id,
        bot_sessions(
            ts, event_id, event_type, direction, sender_type, actor_user_id,
            assignee_user_id, team_id, source, source_detail, channel_id,
            category, summary, report_session_gap()
        ) as sessions
    from conversation_events
    group by workspace_id, conversation_id
),

unnested as (
    select workspace_id, conversation_id, contact_id, establishment_id, unnest(sessions) as s
    from per_conversation
),

flattened as (
    select
        workspace_id,
        conversation_id,
        contact_id,
        establishment_id,
        s['started_at'] as started_at,
        s['ended_at'] as ended_at,
        s['messages'] as messages,
        s['incoming_messages'] as incoming_messages,
        s['bot_messages'] as bot_messages,
        s['agent_messages'] as agent_messages,
        s['channel_id'] as channel_id,
        s['initial_wait_seconds'] as initial_wait_seconds,
        s['engaged'] as engaged,
        s['answered'] as answered
    from unnested
),

described as (
    select
        f.*,
        seconds_between(f.started_at, f.ended_at) as duration_seconds,
        case when f.answered then 'agent' else 'chatbot' end as support_type,
        coalesce(channels.name, f.channel_id) as channel_name,
        channels.channel_type,
        channels.platform,
        coalesce(establishments.name, f.establishment_id) as establishment_name,
        coalesce(workspaces.timezone, report_timezone()) as timezone
    from flattened as f
    left join channels on channels.channel_id = f.channel_id
    left join establishments on establishments.establishment_id = f.establishment_id
    left join workspaces on workspaces.workspace_id = f.workspace_id
)

select
    *,
    cast(date_part('hour', to_local(started_at, timezone)) as bigint) as local_hour
from described
where started_at >= report_start()
    and started_at < report_end()
    and report_filter('channel', channel_id, channel_name)
    and report_filter('channel_type', channel_type)
    and report_filter('platform', platform)
    and report_filter('establishment', establishment_id, establishment_name)
    and cast(date_part('hour', to_local(started_at, timezone)) as bigint) >= report_hour_from()
    and cast(date_part('hour', to_local(started_at, timezone)) as bigint) < report_hour_to()
