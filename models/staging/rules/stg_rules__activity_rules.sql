select
    rule_id,
    description,
    lower(trim(activity_type)) as activity_type,
    lower(nullif(trim(asset_pattern), '')) as asset_pattern,
    points,
    coalesce(is_repeatable, true) as is_repeatable,
    daily_cap,
    coalesce(lower(nullif(trim(category), '')), 'general') as category
from {{ ref('activity_rules') }}
where is_active
