{#
    One row per lead with the score used to judge the rules against conversion. For a
    converted lead with a conversion date, activity points count only from days before
    its first conversion: events that come with or after the sale (an opportunity
    created, a contract signed) would otherwise make the score look predictive when it
    only records the outcome. Leads without a conversion date keep their published score.
#}

with

qualification as (

    select * from {{ ref('lead_qualification') }}

),

ledger as (

    select * from {{ ref('score_ledger') }}

),

first_conversions as (

    select
        lead_id,
        min(cast(converted_at as date)) as converted_on
    from {{ ref('stg_conversions') }}
    where rejection_reason is null
    group by lead_id

),

after_conversion as (

    -- NOTE: metric and property points are measured on the scoring date, so
    -- engagement after the conversion still counts through metric rules.
    select
        ledger.lead_id,
        sum(ledger.points) as points
    from ledger
    inner join first_conversions on ledger.lead_id = first_conversions.lead_id
    where
        ledger.rule_type in ('activity', 'page')
        and ledger.activity_date >= first_conversions.converted_on
    group by ledger.lead_id

)

select
    qualification.lead_id,
    qualification.grade,
    qualification.grade_step,
    qualification.is_converted,
    first_conversions.converted_on,
    qualification.score as published_score,
    qualification.score - coalesce(after_conversion.points, 0) as score
from qualification
left join first_conversions
    on qualification.lead_id = first_conversions.lead_id
left join after_conversion on qualification.lead_id = after_conversion.lead_id
