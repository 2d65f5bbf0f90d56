-- conversation_openings: one row per conversation opened in the period (its
-- first conversation_opened event, in (ts, event_id) order), with what the
-- opened components group and filter by: source, channel, contact type,
-- contact, and the time zone of hour groupings. It reads the openings only,
-- not every event of the conversations: the opened components need nothing
-- else (seed 000 lets only these filters apply to them).
-- Serves: heatmap_opened, opened_by_contact_type, opened_by_source,
-- opened_by_channel (seed 000).
-- Filters: opened_channel, opened_source, contact_type, contact, conversation_id.
with openings as (
    select distinct workspace_id, conversation_id, contact_id, ts, event_id, source, source_detail, channel_id
    from events
    where event_type = 'conversation_opened'
        and ts <= report_as_of()
        and report_filter('workspace', workspace_id)
),

ranked as (
    select
        *,
        row_number() over (partition by workspace_id, conversation_id order by ts, event_id) as n,
        min(ts) over (partition by workspace_id, contact_id) as contact_first_opened_at
    from openings
),

first_openings as (
    select * from ranked where n = 1 and ts >= report_start() and ts < report_end()
),

described as (
    select
        o.workspace_id,
        o.conversation_id,
        o.contact_id,
        coalesce(contacts.name, o.contact_id) as contact_name,
        o.ts as opened_at,
        o.source as opened_source,
        o.source_detail as opened_source_detail,
        o.channel_id as opened_channel_id,
        coalesce(channels.name, o.channel_id) as opened_channel_name,
        channels.channel_type as opened_channel_type,
        case
            when o.ts = o.contact_first_opened_at
                and (contacts.first_conversation_at is null or o.ts <= contacts.first_conversation_at)
                then 'new'
            else 'returning'
        end as contact_type,
        coalesce(workspaces.timezone, report_timezone()) as timezone
    from first_openings as o
    left join contacts on contacts.contact_id = o.contact_id
    left join channels on channels.channel_id = o.channel_id
    left join workspaces on workspaces.workspace_id = o.workspace_id
)

select *
from described
where report_filter('opened_channel', opened_channel_id, opened_channel_name)
    and report_filter('opened_source', opened_source, opened_source_detail)
    and report_filter('contact_type', contact_type)
    and report_filter('contact', contact_id, contact_name)
    and report_filter('conversation_id', conversation_id)
