{#
    One grading profile per lead: the first assignment rule (lowest priority number)
    whose condition the lead matches, else the default profile.
#}

with

leads as (

    select lead_id from {{ ref('stg_leads') }}

),

assignments as (

    select * from {{ ref('stg_rules__profile_assignments') }}

),

attributes as (

    -- Only attributes the rules test, since the join keeps them in memory.
    select * from {{ ref('stg_lead_attributes') }}
    where attribute in (select assignments.attribute from assignments)

),

profiles as (

    select * from {{ ref('stg_rules__grading_profiles') }}

),

default_profile as (

    select min(profile_id) as profile_id
    from profiles
    where is_default

),

lead_values as (

    select
        leads.lead_id,
        assignments.rule_id,
        assignments.priority,
        assignments.profile_id,
        assignments.operator,
        assignments.rule_value,
        attributes.value,
        coalesce(attributes.value, '') as value_key
    from leads
    cross join assignments
    inner join profiles on assignments.profile_id = profiles.profile_id
    left join attributes
        on
            leads.lead_id = attributes.lead_id
            and assignments.attribute = attributes.attribute

),

outcomes as (

    {{ lead_scoring.rule_outcomes('assignments', ref('stg_lead_attributes')) }}

),

evaluated as (

    select
        lead_values.*,
        outcomes.is_match
    from lead_values
    inner join outcomes
        on
            lead_values.rule_id = outcomes.rule_id
            and lead_values.value_key = outcomes.value_key

),

first_match as (

    select
        lead_id,
        rule_id,
        profile_id,
        row_number() over (
            partition by lead_id order by priority, rule_id
        ) as match_rank
    from evaluated
    where is_match

)

select
    leads.lead_id,
    coalesce(first_match.profile_id, default_profile.profile_id) as profile_id,
    first_match.rule_id as assignment_rule_id
from leads
cross join default_profile
left join first_match
    on leads.lead_id = first_match.lead_id and first_match.match_rank = 1
