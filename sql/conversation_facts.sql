-- conversation_facts: one row per conversation opened or closed in the
-- report period, passing every report filter that is set; every metric of
-- the conversation list in seconds, every filter dimension, names from the
-- dimension tables (ids where a dimension is absent).
-- Serves: the base of every respond.io component (seed 000).
-- Filters: all of seed 000; a filter matches an id or a name.
with filtered as (
    select *
    from period_conversations
    where report_filter('closed_source', closed_source)
        and report_filter('first_assignee', first_assignee_id, first_assignee_name)
        and report_filter('first_response_by', first_response_by_user_id, first_response_by_name)
        and report_filter('last_assignee', last_assignee_id, last_assignee_name, case when last_assignee_id is null then 'Unassigned' end)
        and report_filter('closed_by_team', closed_by_team_id, closed_by_team_name)
        and report_filter('closed_by_user', closed_by_user_id, closed_by_user_name)
        and report_filter('category', category)
        and report_filter('opened_channel', opened_channel_id, opened_channel_name)
        and report_filter('opened_source', opened_source, opened_source_detail)
        and report_filter('contact_type', contact_type)
        and report_filter('contact', contact_id, contact_name)
        and report_filter('conversation_id', conversation_id)
)

select * from filtered
