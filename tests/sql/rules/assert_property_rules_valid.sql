{{ config(store_failures=true, schema='rule_test_failures') }}

with

problems as (

    {{ lead_scoring.common_rule_problems('property_rules') }}
    union all
    {{ lead_scoring.points_range_problem('property_rules') }}
    union all
    {{ lead_scoring.unknown_operator_problem('property_rules') }}
    union all
    {{ lead_scoring.operator_value_problems('property_rules') }}

)

select * from problems
where problem is not null
