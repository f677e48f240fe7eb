{{ config(store_failures=true, schema='rule_test_failures') }}

with

problems as (

    {{ lead_scoring.common_rule_problems('page_rules') }}
    union all
    {{ lead_scoring.points_range_problem('page_rules') }}
    union all
    {{ lead_scoring.rule_problem(
        'page_rules',
        "nullif(replace(replace(trim(url_pattern), '*', ''), '/', ''), '') is null",
        "concat('url_pattern is empty or matches every page: ', "
        ~ "coalesce(url_pattern, '(blank)'))") }}
    union all
    {{ lead_scoring.rule_problem(
        'page_rules', 'is_priority is null',
        "'is_priority must be true or false'") }}

)

select * from problems
where problem is not null
