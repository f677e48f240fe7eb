{{ config(store_failures=true, schema='rule_test_failures') }}

with

problems as (

    {{ lead_scoring.common_rule_problems('account_stages') }}
    union all
    {{ lead_scoring.rule_problem(
        'account_stages', "nullif(trim(stage), '') is null",
        "'stage is blank'") }}
    union all
    {{ lead_scoring.rule_problem(
        'account_stages', 'stage_order is null',
        "'stage_order is blank'") }}
    union all
    {{ lead_scoring.rule_problem(
        'account_stages',
        "nullif(trim(min_grade), '') is not null and "
        ~ lead_scoring.grade_step('min_grade') ~ " is null",
        "concat('min_grade must be a letter F, D-, D, ... A+, not ', min_grade)") }}
    union all
    {{ lead_scoring.rule_problem(
        'account_stages', 'min_engaged_contacts < 0',
        "'min_engaged_contacts cannot be negative'") }}

)

select * from problems
where problem is not null
