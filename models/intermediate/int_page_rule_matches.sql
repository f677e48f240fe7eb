{#
    One row per distinct page address that a page rule matches, with the winning rule.
    Rules are matched once per distinct address rather than per event: millions of page
    views share a few thousand addresses.
#}
with

pages as (

    select distinct
        url_base,
        url_query
    from {{ ref('int_activities') }}
    where activity_type = 'page_view' and url_base is not null

),

page_rules as (

    select * from {{ ref('stg_rules__page_rules') }}

),

pages_with_path as (

    select
        url_base,
        url_query,
        case
            when {{ dbt.position("'/'", 'url_base') }} > 0
                then {{ dbt.right(
                    'url_base',
                    dbt.length('url_base') ~ ' - '
                    ~ dbt.position("'/'", 'url_base') ~ ' + 1') }}
            else ''
        end as url_path
    from pages

),

candidates as (

    select
        pages_with_path.url_base,
        pages_with_path.url_query,
        page_rules.rule_id,
        page_rules.specificity,
        page_rules.is_path_pattern,
        page_rules.pattern,
        -- The query string only counts when the pattern names one.
        concat(
            case
                when page_rules.is_path_pattern then pages_with_path.url_path
                else pages_with_path.url_base
            end,
            case
                when page_rules.pattern_query is null then ''
                else concat('?', coalesce(pages_with_path.url_query, ''))
            end
        ) as match_target
    from pages_with_path
    cross join page_rules

),

matches as (

    select
        url_base,
        url_query,
        rule_id,
        row_number() over (
            partition by url_base, url_query
            order by specificity desc, is_path_pattern asc, rule_id asc
        ) as match_rank
    from candidates
    where {{ lead_scoring.wildcard_matches('match_target', 'pattern') }}

)

select
    url_base,
    url_query,
    rule_id as page_rule_id
from matches
where match_rank = 1
