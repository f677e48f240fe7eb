select
    rule_id,
    description,
    stage_order,
    lower(trim(stage)) as stage,
    min_score,
    max_score,
    {{ lead_scoring.grade_step('min_grade') }} as min_grade_step,
    {{ lead_scoring.grade_step('max_grade') }} as max_grade_step
from {{ ref('qualification_stages') }}
where is_active
