{{ config(store_failures=true, schema='rule_test_failures') }}

{% set profile_ids %}
    (select profile_id from {{ ref('grading_profiles') }}
     where is_active and profile_id is not null)
{% endset %}

with

problems as (

    {{ lead_scoring.common_rule_problems('grading_profiles', 'profile_id') }}
    union all
    select
        'grading_profiles' as rule_table,
        '(all)' as rule_id,
        'exactly one active profile must have is_default = true, found '
        || cast(count(*) as {{ dbt.type_string() }}) as problem
    from {{ ref('grading_profiles') }}
    where is_active and is_default
    having count(*) != 1
    union all
    {{ lead_scoring.common_rule_problems('grading_profile_assignments') }}
    union all
    {{ lead_scoring.unknown_operator_problem('grading_profile_assignments') }}
    union all
    {{ lead_scoring.operator_value_problems('grading_profile_assignments') }}
    union all
    {{ lead_scoring.rule_problem(
        'grading_profile_assignments',
        "coalesce(profile_id, '') not in " ~ profile_ids,
        "concat('unknown or inactive profile_id ', coalesce(profile_id, '(blank)'))") }}
    union all
    {{ lead_scoring.rule_problem(
        'grading_profile_assignments', 'priority is null',
        "'priority is blank'") }}
    union all
    {{ lead_scoring.common_rule_problems('grading_criteria') }}
    union all
    {{ lead_scoring.unknown_operator_problem('grading_criteria') }}
    union all
    {{ lead_scoring.operator_value_problems('grading_criteria') }}
    union all
    {{ lead_scoring.rule_problem(
        'grading_criteria',
        "coalesce(profile_id, '') not in " ~ profile_ids,
        "concat('unknown or inactive profile_id ', coalesce(profile_id, '(blank)'))") }}
    union all
    {{ lead_scoring.points_range_problem(
        'grading_criteria', 'match_adjustment', -12, 12) }}
    union all
    {{ lead_scoring.points_range_problem(
        'grading_criteria', 'no_match_adjustment', -12, 12) }}

)

select * from problems
where problem is not null
