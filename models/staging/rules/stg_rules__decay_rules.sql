select
    rule_id,
    description,
    nullif(trim(activity_rule_id), '') as activity_rule_id,
    lower(nullif(trim(category), '')) as category,
    lower(trim(method)) as decay_method,
    rate_pct,
    period_days,
    half_life_days,
    max_age_days,
    inactivity_days,
    step_points
from {{ ref('decay_rules') }}
where is_active
