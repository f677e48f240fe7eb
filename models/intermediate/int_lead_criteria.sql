{#
    One row per lead and criterion of the lead's profile, with the outcome and the
    adjustment in thirds of a letter. A missing value (or a number operator meeting a
    non-number) adjusts nothing: the lead has not told us, which is not a mismatch.
#}

with

lead_profiles as (

    select * from {{ ref('int_lead_profiles') }}

),

criteria as (

    select * from {{ ref('stg_rules__grading_criteria') }}

),

attributes as (

    -- Only attributes the rules test, since the join keeps them in memory.
    select * from {{ ref('stg_lead_attributes') }}
    where attribute in (select criteria.attribute from criteria)

),

lead_values as (

    select
        lead_profiles.lead_id,
        lead_profiles.profile_id,
        criteria.rule_id,
        criteria.description,
        criteria.attribute,
        criteria.operator,
        criteria.rule_value,
        attributes.value,
        coalesce(attributes.value, '') as value_key,
        criteria.match_adjustment,
        criteria.no_match_adjustment
    from lead_profiles
    inner join criteria on lead_profiles.profile_id = criteria.profile_id
    left join attributes
        on
            lead_profiles.lead_id = attributes.lead_id
            and criteria.attribute = attributes.attribute

),

outcomes as (

    {{ lead_scoring.rule_outcomes('criteria', ref('stg_lead_attributes')) }}

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

)

select
    lead_id,
    profile_id,
    rule_id,
    description,
    attribute,
    value,
    case
        when is_match then 'matched'
        when not is_match then 'not_matched'
        else 'unknown'
    end as outcome,
    case
        when is_match then match_adjustment
        when not is_match then no_match_adjustment
        else 0
    end as adjustment
from evaluated
