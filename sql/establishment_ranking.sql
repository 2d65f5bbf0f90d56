-- establishment_ranking: one row per establishment (of the `establishments`
-- table, and any other seen in the period's messages), ranked by the
-- customers with an active chat with it in the period (0 for none), with
-- its region, sector and country.
-- Serves: seed 003 "Classement".
-- Filters: channel, channel_type, platform, establishment, region, sector, country, hours.
with messages as (
    select * from site_messages
    where report_check('establishment_ranking', 'channel,channel_type,platform,establishment,region,sector,country,hours')
),

active as (
    select workspace_id, establishment_id,
        count(distinct contact_id) as customers,
        count(distinct conversation_id) as chats
    from messages
    group by 1, 2
),

known as (
    select workspace_id, establishment_id, name, region, sector, country
    from establishments
    where report_filter('workspace', workspace_id)
        and report_filter('establishment', establishment_id, name)
        and report_filter('region', region)
        and report_filter('sector', sector)
        and report_filter('country', country)
),

every_establishment as (
    select workspace_id, establishment_id from known
    union
    select workspace_id, establishment_id from active where establishment_id is not null
),

ranked as (
    select
        e.workspace_id,
        e.establishment_id,
        coalesce(k.name, e.establishment_id) as establishment_name,
        k.region,
        k.sector,
        k.country,
        coalesce(a.customers, 0) as customers,
        coalesce(a.chats, 0) as chats
    from every_establishment as e
    left join known as k on k.establishment_id = e.establishment_id
    left join active as a on a.establishment_id = e.establishment_id and a.workspace_id = e.workspace_id
)

select
    rank() over (order by customers desc) as rank,
    *
from ranked
order by rank, establishment_name
