{{ config(store_failures=true, schema='rule_test_failures') }}

with

problems as (

    {{ lead_scoring.common_rule_problems('score_limits') }}
    union all
    {{ lead_scoring.points_range_problem(
        'score_limits', 'max_points', 0, 100000) }}
    union all
    select
        'score_limits' as rule_table,
        rule_id,
        'more than one active limit for the same category' as problem
    from (
        select
            rule_id,
            count(*) over (
                partition by coalesce(lower(nullif(trim(category), '')), '*')
            ) as limits_in_category
        from {{ ref('score_limits') }}
        where is_active
    ) as active_limits
    where limits_in_category > 1

)

select * from problems
where problem is not null
