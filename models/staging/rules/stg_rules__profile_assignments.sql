select
    rule_id,
    description,
    priority,
    profile_id,
    lower(trim(attribute)) as attribute,
    lower(trim(operator)) as operator,
    {{ lead_scoring.clean_text('value') }} as rule_value
from {{ ref('grading_profile_assignments') }}
where is_active
