select
    rule_id,
    description,
    lower(trim(metric)) as metric,
    window_days,
    lower(trim(operator)) as operator,
    threshold,
    points,
    coalesce(lower(nullif(trim(category), '')), 'general') as category
from {{ ref('metric_rules') }}
where is_active
