{{ config(store_failures=true, schema='rule_test_failures') }}

{% set metrics = [
    'sessions', 'active_days', 'time_on_site_seconds', 'page_views',
    'priority_page_views'
] %}

with

problems as (

    {{ lead_scoring.common_rule_problems('metric_rules') }}
    union all
    {{ lead_scoring.points_range_problem('metric_rules') }}
    union all
    {{ lead_scoring.rule_problem(
        'metric_rules',
        "coalesce(lower(trim(metric)), '') not in ('" ~ metrics | join("', '") ~ "')",
        "concat('unknown metric ', coalesce(metric, '(blank)'), "
        ~ "'; expected one of: " ~ metrics | join(', ') ~ "')") }}
    union all
    {{ lead_scoring.rule_problem(
        'metric_rules',
        "coalesce(lower(trim(operator)), '') not in "
        ~ "('gt', 'gte', 'lt', 'lte', 'equals', 'not_equals')",
        "concat('metric rules compare numbers: operator must be gt, gte, lt, lte, "
        ~ "equals or not_equals, not ', coalesce(operator, '(blank)'))") }}
    union all
    {{ lead_scoring.rule_problem(
        'metric_rules', 'window_days is null or window_days <= 0',
        "'window_days must be a positive number of days'") }}
    union all
    {{ lead_scoring.rule_problem(
        'metric_rules', 'threshold is null',
        "'threshold is blank'") }}

)

select * from problems
where problem is not null
