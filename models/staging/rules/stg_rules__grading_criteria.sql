select
    rule_id,
    description,
    profile_id,
    lower(trim(attribute)) as attribute,
    lower(trim(operator)) as operator,
    {{ lead_scoring.clean_text('value') }} as rule_value,
    coalesce(match_adjustment, 0) as match_adjustment,
    coalesce(no_match_adjustment, 0) as no_match_adjustment
from {{ ref('grading_criteria') }}
where is_active
