{#
    Does the model predict conversion? One row per grade and per score band, with
    leads, conversions, conversion rate and lift over the base rate (all leads).
    Score bands are quantiles of the score (deciles by default); tied scores can make a
    band hold more or fewer leads than the others.
#}

{% set double = lead_scoring.type_double() %}

with

qualification as (

    select * from {{ ref('int_lead_evaluation') }}

),

base_rate as (

    select
        count(*) as leads,
        sum(case when is_converted then 1 else 0 end) as conversions
    from qualification

),

banded as (

    select
        lead_id,
        score,
        is_converted,
        grade,
        grade_step,
        ntile({{ var('score_band_count') }}) over (order by score, lead_id)
            as score_band
    from qualification

),

by_grade as (

    select
        'grade' as dimension,
        coalesce(grade, 'none') as bucket,
        coalesce(grade_step, -1) as bucket_order,
        count(*) as leads,
        sum(case when is_converted then 1 else 0 end) as conversions,
        min(score) as min_score,
        max(score) as max_score
    from banded
    group by coalesce(grade, 'none'), coalesce(grade_step, -1)

),

by_band as (

    select
        'score_band' as dimension,
        {{ dbt.concat(["'band '", dbt.cast('score_band', dbt.type_string())]) }}
            as bucket,
        score_band as bucket_order,
        count(*) as leads,
        sum(case when is_converted then 1 else 0 end) as conversions,
        min(score) as min_score,
        max(score) as max_score
    from banded
    group by score_band

),

buckets as (

    select * from by_grade
    union all
    select * from by_band

)

select
    buckets.dimension,
    buckets.bucket,
    buckets.bucket_order,
    buckets.leads,
    cast(buckets.conversions as {{ dbt.type_bigint() }}) as conversions,
    cast(buckets.conversions as {{ double }}) / buckets.leads
        as conversion_rate,
    case
        when base_rate.conversions > 0
            then
                (cast(buckets.conversions as {{ double }}) / buckets.leads)
                / (
                    cast(base_rate.conversions as {{ double }})
                    / base_rate.leads
                )
    end as lift,
    cast(buckets.min_score as {{ lead_scoring.type_points() }}) as min_score,
    cast(buckets.max_score as {{ lead_scoring.type_points() }}) as max_score
from buckets
cross join base_rate
