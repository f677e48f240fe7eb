{{ config(store_failures=true, schema='rule_test_failures') }}

with

problems as (

    {{ lead_scoring.common_rule_problems('decay_rules') }}
    union all
    {{ lead_scoring.rule_problem(
        'decay_rules',
        "coalesce(lower(trim(method)), '') not in ('linear', 'half_life', 'step')",
        "concat('unknown method ', coalesce(method, '(blank)'), "
        ~ "'; expected linear, half_life or step')") }}
    union all
    {{ lead_scoring.rule_problem(
        'decay_rules',
        "lower(trim(method)) = 'linear' and (rate_pct is null or rate_pct < 0 "
        ~ "or rate_pct > 100 or period_days is null or period_days <= 0)",
        "'linear decay needs rate_pct from 0 to 100 and a positive period_days'") }}
    union all
    {{ lead_scoring.rule_problem(
        'decay_rules',
        "lower(trim(method)) = 'half_life' and "
        ~ "(half_life_days is null or half_life_days <= 0)",
        "'half_life decay needs a positive half_life_days'") }}
    union all
    {{ lead_scoring.rule_problem(
        'decay_rules',
        "lower(trim(method)) = 'step' and (inactivity_days is null "
        ~ "or inactivity_days <= 0 or step_points is null or step_points <= 0)",
        "'step decay needs positive inactivity_days and step_points'") }}
    union all
    {{ lead_scoring.rule_problem(
        'decay_rules',
        "nullif(trim(activity_rule_id), '') is null "
        ~ "and nullif(trim(category), '') is null",
        "'name an activity_rule_id or a category (* for every category)'") }}
    union all
    {{ lead_scoring.rule_problem(
        'decay_rules', 'max_age_days <= 0',
        "'max_age_days must be positive (or blank for no expiry)'") }}
    union all
    {{ lead_scoring.rule_problem(
        'decay_rules',
        "nullif(trim(activity_rule_id), '') is not null and trim(activity_rule_id) "
        ~ "not in (select rule_id from " ~ ref('activity_rules') ~ " where rule_id is not null)",
        "concat('activity_rule_id ', activity_rule_id, ' is not an activity rule')") }}

)

select * from problems
where problem is not null
