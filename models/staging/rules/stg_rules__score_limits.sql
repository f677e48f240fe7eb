select
    rule_id,
    description,
    coalesce(lower(nullif(trim(category), '')), '*') as category,
    max_points
from {{ ref('score_limits') }}
where is_active
