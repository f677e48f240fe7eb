{{ config(store_failures=true, schema='rule_test_failures') }}

with

problems as (

    {{ lead_scoring.common_rule_problems('qualification_stages') }}
    union all
    {{ lead_scoring.rule_problem(
        'qualification_stages', "nullif(trim(stage), '') is null",
        "'stage is blank'") }}
    union all
    {{ lead_scoring.rule_problem(
        'qualification_stages', 'stage_order is null',
        "'stage_order is blank'") }}
    union all
    {{ lead_scoring.rule_problem(
        'qualification_stages',
        "(nullif(trim(min_grade), '') is not null and "
        ~ lead_scoring.grade_step('min_grade') ~ " is null) or "
        ~ "(nullif(trim(max_grade), '') is not null and "
        ~ lead_scoring.grade_step('max_grade') ~ " is null)",
        "concat('grade bounds must be letters F, D-, D, ... A+, not ', "
        ~ "coalesce(min_grade, ''), ' ', coalesce(max_grade, ''))") }}
    union all
    {{ lead_scoring.rule_problem(
        'qualification_stages', 'min_score > max_score',
        "'min_score is above max_score'") }}

)

select * from problems
where problem is not null
