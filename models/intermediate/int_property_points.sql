{#
    Property rules: one row per lead and property rule, with the lead's value and
    whether the rule fired. Every lead meets every rule, so is_missing rules can fire.
#}

with

leads as (

    select lead_id from {{ ref('stg_leads') }}

),

property_rules as (

    select * from {{ ref('stg_rules__property_rules') }}

),

attributes as (

    -- Only attributes the rules test, since the join keeps them in memory.
    select * from {{ ref('stg_lead_attributes') }}
    where attribute in (select property_rules.attribute from property_rules)

),

lead_values as (

    select
        leads.lead_id,
        property_rules.rule_id,
        property_rules.attribute,
        property_rules.operator,
        property_rules.rule_value,
        property_rules.points,
        property_rules.category,
        attributes.value,
        coalesce(attributes.value, '') as value_key
    from leads
    cross join property_rules
    left join attributes
        on
            leads.lead_id = attributes.lead_id
            and property_rules.attribute = attributes.attribute

),

outcomes as (

    {{ lead_scoring.rule_outcomes(
        'property_rules', ref('stg_lead_attributes')
    ) }}

),

compared as (

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
    rule_id,
    attribute,
    category,
    value,
    is_match,
    cast(
        case when is_match then points else 0 end
        as {{ lead_scoring.type_points() }}
    ) as points,
    {{ lead_scoring.as_of_date() }} as activity_date
from compared
