{{ config(store_failures=true, schema='rule_test_failures') }}

with

problems as (

    {{ lead_scoring.common_rule_problems('activity_rules') }}
    union all
    {{ lead_scoring.points_range_problem('activity_rules') }}
    union all
    {{ lead_scoring.rule_problem(
        'activity_rules',
        "coalesce(lower(trim(activity_type)), '') not in "
        ~ "(select activity_type from " ~ ref('activity_types') ~ ")",
        "concat('unknown activity_type ', coalesce(activity_type, '(blank)'))") }}
    union all
    {{ lead_scoring.rule_problem(
        'activity_rules', 'daily_cap <= 0',
        "'daily_cap must be a positive number of points (or blank for no cap)'") }}
    union all
    {{ lead_scoring.rule_problem(
        'activity_rules', "trim(asset_pattern) in ('', '*')",
        "'asset_pattern matches everything; leave it blank instead'") }}
    union all
    {{ lead_scoring.rule_problem(
        'activity_rules', 'is_repeatable is null',
        "'is_repeatable must be true or false'") }}

)

select * from problems
where problem is not null
