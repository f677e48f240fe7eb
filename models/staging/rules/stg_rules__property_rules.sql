select
    rule_id,
    description,
    lower(trim(attribute)) as attribute,
    lower(trim(operator)) as operator,
    {{ lead_scoring.clean_text('value') }} as rule_value,
    points,
    coalesce(lower(nullif(trim(category), '')), 'general') as category
from {{ ref('property_rules') }}
where is_active
