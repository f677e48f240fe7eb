select
    rule_id,
    description,
    stage_order,
    lower(trim(stage)) as stage,
    min_score,
    min_engaged_contacts,
    {{ lead_scoring.grade_step('min_grade') }} as min_grade_step
from {{ ref('account_stages') }}
where is_active
