{#
    One row per lead: profile, grade and the criteria behind it. Every lead starts at
    D (step 2); each criterion moves it by its adjustment in thirds of a letter; the
    result is clamped to F..A+. A profile without criteria grades nobody (null).
#}

with

lead_profiles as (

    select * from {{ ref('int_lead_profiles') }}

),

lead_criteria as (

    select * from {{ ref('int_lead_criteria') }}

),

summed as (

    select
        lead_id,
        count(*) as criteria_evaluated,
        sum(case when outcome = 'matched' then 1 else 0 end)
            as criteria_matched,
        sum(case when outcome = 'not_matched' then 1 else 0 end)
            as criteria_not_matched,
        sum(case when outcome = 'unknown' then 1 else 0 end)
            as criteria_unknown,
        sum(adjustment) as total_adjustment
    from lead_criteria
    group by lead_id

),

stepped as (

    select
        lead_profiles.lead_id,
        lead_profiles.profile_id,
        coalesce(summed.criteria_matched, 0) as criteria_matched,
        coalesce(summed.criteria_not_matched, 0) as criteria_not_matched,
        coalesce(summed.criteria_unknown, 0) as criteria_unknown,
        summed.total_adjustment,
        case
            when summed.lead_id is not null
                then least(12, greatest(0, 2 + summed.total_adjustment))
        end as grade_step
    from lead_profiles
    left join summed on lead_profiles.lead_id = summed.lead_id

)

select
    lead_id,
    profile_id,
    {{ lead_scoring.grade_letter('grade_step') }} as grade,
    cast(grade_step as {{ dbt.type_int() }}) as grade_step,
    cast(total_adjustment as {{ dbt.type_int() }}) as total_adjustment,
    cast(criteria_matched as {{ dbt.type_int() }}) as criteria_matched,
    cast(criteria_not_matched as {{ dbt.type_int() }}) as criteria_not_matched,
    cast(criteria_unknown as {{ dbt.type_int() }}) as criteria_unknown
from stepped
