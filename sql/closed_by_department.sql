-- closed_by_department: one row per department (the team of the user who
-- closed; '-' for closings by automation or blocking) with the conversations
-- closed in the period, the agents involved (users who wrote in them, were
-- assigned them or closed them) and the resolution time (opening -> closing):
-- average formatted and in seconds, median, 90th percentile. The CSV export
-- of seed 002 is its first four columns:
--   convlake sql -f csv "select department, conversations, agents_involved, average_resolution_time
--                        from closed_by_department order by conversations desc, department"
-- Serves: seed 002 "Conversations fermées par département" (and its export).
-- Filters: team, channel (the opening channel), channel_type, platform, establishment.
with closed as (
    select *
    from period_conversations
    where closed_in_period
        and report_check('closed_by_department', 'team,channel,channel_type,platform,establishment')
        and report_filter('team', closed_by_team_id, closed_by_team_name)
        and report_filter('channel', opened_channel_id, opened_channel_name)
        and report_filter('channel_type', opened_channel_type)
        and report_filter('platform', opened_channel_platform)
        and report_filter('establishment', establishment_id, establishment_name)
),

agents as (
    -- Users who wrote in or were assigned the conversation inside its span
    -- (SPEC.md §1.2: events after the close belong to none of its metrics),
    -- and the user who closed it.
    select c.closed_by_team_name, e.user_id
    from closed as c
    join (
        select workspace_id, conversation_id, ts, actor_user_id as user_id
        from events
        where event_type = 'message' and sender_type = 'user' and actor_user_id is not null
        union all
        select workspace_id, conversation_id, ts, assignee_user_id as user_id
        from events
        where event_type = 'assignee_changed' and assignee_user_id is not null
    ) as e
        on e.workspace_id = c.workspace_id and e.conversation_id = c.conversation_id
    where (c.opened_at is null or e.ts >= c.opened_at) and e.ts <= c.closed_at
    union all
    select closed_by_team_name, closed_by_user_id as user_id
    from closed
    where closed_by_user_id is not null
),

per_department as (
    select
        coalesce(closed_by_team_name, '-') as department,
        count(*) as conversations,
        avg(resolution_time_seconds) as average_resolution_seconds,
        median(resolution_time_seconds) as median_resolution_seconds,
        percentile_cont(0.9) within group (order by resolution_time_seconds) as p90_resolution_seconds
    from closed
    group by 1
),

agents_per_department as (
    select coalesce(closed_by_team_name, '-') as department, count(distinct user_id) as agents_involved
    from agents
    group by 1
)

select
    d.department,
    d.conversations,
    coalesce(a.agents_involved, 0) as agents_involved,
    format_duration(d.average_resolution_seconds) as average_resolution_time,
    d.average_resolution_seconds,
    d.median_resolution_seconds,
    d.p90_resolution_seconds
from per_department as d
left join agents_per_department as a on a.department = d.department
order by d.conversations desc, d.department
