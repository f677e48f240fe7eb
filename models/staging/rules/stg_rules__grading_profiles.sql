select
    profile_id,
    description,
    coalesce(is_default, false) as is_default
from {{ ref('grading_profiles') }}
where is_active
