-- conversation_openings: one row per conversation opened in the period (its
-- first conversation_opened event, in (ts, event_id) order), with what the
-- opened components group and filter by: source, channel, contact type,
-- contact, and the time zone of hour groupings. It reads the openings only,
-- not every event of the conversations: the opened components need nothing
-- else (seed 000 lets only these filters apply to them).
-- Serves: heatmap_opened, opened_by_contact_type, opened_by_source,
-- opened_by_channel (seed 000).
-- Filters: opened_channel, opened_source, contact_type, contact, conversation_id.
with period_openings as (
    -- Each conversation's first conversation_opened in the period, in
    -- (ts, event_id) order, known at the as-of time: a ts range that
    -- prunes files and row groups. earliest(x, ts, event_id) is
    -- first_value(x order by ts, event_id) without DataFusion's per-group
    -- row accumulator for strings (udfs/src/earliest.rs).
    select
        workspace_id,
        conversation_id,
        min(ts) as opened_at,
        earliest(contact_id, ts, event_id) as contact_id,
        earliest(source, ts, event_id) as opened_source,
        earliest(source_detail, ts, event_id) as opened_source_detail,
        earliest(channel_id, ts, event_id) as opened_channel_id
    from events
    where event_type = 'conversation_opened'
        and ts >= report_start()
        and ts < report_end()
        and ts <= report_as_of()
        and report_filter('workspace', workspace_id)
    group by workspace_id, conversation_id
),

first_openings as (
    -- The whole lake: nothing comes before the period.
    select * from period_openings where report_whole_lake()

    union all

    -- A conversation with an opening before the period was opened then,
    -- not in the period. The join's filter on the period's conversation
    -- ids (min/max bounds) lets this scan skip the files of older
    -- conversations; where no file's ts statistics reach back before the
    -- period, the planner drops the join (src/plan/empty_anti_joins.rs).
    select *
    from period_openings as p
    where not report_whole_lake()
        and not exists (
            select 1
            from events as e
            where e.event_type = 'conversation_opened'
                and e.ts < report_start()
                and e.workspace_id = p.workspace_id
                and e.conversation_id = p.conversation_id
        )
),

contacts_first_seen as (
    -- Each contact's first opening (sql/contact_first_openings.sql, or the
    -- lake's materialisation), for new vs returning. An opening of the
    -- period is new when it is its contact's first, so a contact first seen
    -- before the period is returning whatever its row says: only the rows
    -- from the period's start are needed, and the materialisation, sorted
    -- by first_opened_at, is read for the period's row groups alone. One
    -- row per contact (the view's grouping, the table's declared key), so
    -- the planner drops the join where no contact type is read.
    select workspace_id, contact_id, first_opened_at
    from contact_first_openings
    where first_opened_at >= report_start()
        and first_opened_at < report_end()
        and first_opened_at <= report_as_of()
),

contact_names as (
    -- One row per contact id: the planner then drops the join where no
    -- contact column is read (heat-maps, channels and sources without a
    -- contact filter).
    select contact_id, min(name) as name, min(first_conversation_at) as first_conversation_at
    from contacts
    group by contact_id
),

channel_names as (
    -- One row per channel id, likewise: where no channel column is read
    -- (heat-map, sources, contact types) the join goes, and with it each
    -- opening's channel.
    select channel_id, min(name) as name, min(channel_type) as channel_type
    from channels
    group by channel_id
),

workspace_zones as (
    -- One row per workspace id, likewise (channels, sources, contact types).
    select workspace_id, min(timezone) as timezone
    from workspaces
    group by workspace_id
),

described as (
    -- The lookups are written first, as the build side of the hash joins:
    -- a few rows each (per-contact tables: one per contact), and the
    -- openings stream through them instead of being held in each join's
    -- hash table (1M openings: 57 MB for 3 workspaces, 72 MB for 19
    -- channels).
    select
        o.workspace_id,
        o.conversation_id,
        o.contact_id,
        coalesce(contacts.name, o.contact_id) as contact_name,
        o.opened_at,
        o.opened_source,
        o.opened_source_detail,
        o.opened_channel_id,
        coalesce(channels.name, o.opened_channel_id) as opened_channel_name,
        channels.channel_type as opened_channel_type,
        case
            when o.opened_at = c.first_opened_at
                and (contacts.first_conversation_at is null or o.opened_at <= contacts.first_conversation_at)
                then 'new'
            else 'returning'
        end as contact_type,
        coalesce(workspaces.timezone, report_timezone()) as timezone
    from workspace_zones as workspaces
    right join (
        channel_names as channels
        right join (
            contact_names as contacts
            right join (
                contacts_first_seen as c
                right join first_openings as o
                    on c.workspace_id = o.workspace_id and c.contact_id = o.contact_id
            )
                on contacts.contact_id = o.contact_id
        )
            on channels.channel_id = o.opened_channel_id
    )
        on workspaces.workspace_id = o.workspace_id
)

select *
from described
where report_filter('opened_channel', opened_channel_id, opened_channel_name)
    and report_filter('opened_source', opened_source, opened_source_detail)
    and report_filter('contact_type', contact_type)
    and report_filter('contact', contact_id, contact_name)
    and report_filter('conversation_id', conversation_id)
