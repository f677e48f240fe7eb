{{
    config(
        materialized='incremental',
        unique_key=['lead_id', 'rule_id', 'activity_date'],
        incremental_strategy=lead_scoring.incremental_strategy(),
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} where as_of_date != "
            ~ "{{ lead_scoring.as_of_date() }}{% endif %}",
            "{% if is_incremental() %}"
            "{{ lead_scoring.delete_affected_rows(this, 'activity_date') }}"
            "{% endif %}",
        ]
    )
}}

{#
    Daily activity points as of the scoring date, with decay applied: one row per lead,
    rule and activity day. The most specific decay rule applies: one naming the activity
    rule beats one naming its category, which beats one for every category ('*').

    A row's decay depends only on its daily points and the scoring date. An incremental
    run therefore recomputes the days int_points_daily rewrote (int_affected_leads), or
    every row when the scoring date has changed. The first pre-hook deletes the rows of
    another scoring date (a new day, or a backfill of a past one), which leaves the table
    empty; the second deletes the days this run recomputes.
#}

-- depends_on: {{ ref('int_affected_leads') }}

with

daily_points as (

    select daily.*
    from {{ ref('int_points_daily') }} as daily
    where
        daily.activity_date <= {{ lead_scoring.as_of_date() }}
    {% if is_incremental() %}
        and (
            -- Empty after the pre-hooks: the scoring date changed.
            not exists (select 1 from {{ this }})
            or exists (
                select 1
                from {{ ref('int_affected_leads') }} as affected
                where
                    affected.lead_id = daily.lead_id
                    and daily.activity_date >= affected.from_date
            )
        )
    {% endif %}

),

decay_rules as (

    select * from {{ ref('stg_rules__decay_rules') }}
    where decay_method in ('linear', 'half_life')

),

scoring_rules as (

    -- The decay rule depends only on the scoring rule and its category, so it
    -- is chosen once per pair rather than per lead and day.
    select distinct
        rule_id,
        category
    from daily_points

),

candidates as (

    select
        scoring_rules.rule_id,
        scoring_rules.category,
        decay_rules.rule_id as decay_rule_id,
        row_number() over (
            partition by scoring_rules.rule_id, scoring_rules.category
            order by
                case
                    when decay_rules.activity_rule_id is not null then 3
                    when decay_rules.category != '*' then 2
                    else 1
                end desc,
                decay_rules.rule_id
        ) as decay_rank
    from scoring_rules
    inner join decay_rules
        on
            scoring_rules.rule_id = decay_rules.activity_rule_id
            or (
                decay_rules.activity_rule_id is null
                and decay_rules.category in (scoring_rules.category, '*')
            )

),

with_age as (

    select
        daily_points.*,
        candidates.decay_rule_id,
        decay_rules.decay_method,
        decay_rules.rate_pct,
        decay_rules.period_days,
        decay_rules.half_life_days,
        decay_rules.max_age_days,
        {{ dbt.datediff(
            'daily_points.activity_date',
            lead_scoring.as_of_date(), 'day') }} as age_days
    from daily_points
    left join candidates
        on
            daily_points.rule_id = candidates.rule_id
            and daily_points.category = candidates.category
            and candidates.decay_rank = 1
    left join decay_rules
        on candidates.decay_rule_id = decay_rules.rule_id

),

with_factor as (

    select
        *,
        case
            when decay_rule_id is null then 1.0
            when max_age_days is not null and age_days > max_age_days then 0.0
            when decay_method = 'half_life'
                then power(0.5, age_days / half_life_days)
            when decay_method = 'linear'
                then greatest(
                    0.0,
                    1.0 - coalesce(rate_pct, 0) / 100.0
                    * floor(age_days / period_days)
                )
            else 1.0
        end as decay_factor
    from with_age

)

select
    -- ids
    lead_id,
    rule_id,
    decay_rule_id,

    -- text
    rule_type,
    category,

    -- numbers
    events,
    priority_events,
    age_days,
    decay_factor,
    cast(raw_points as {{ lead_scoring.type_points() }}) as raw_points,
    cast(withheld_bot as {{ lead_scoring.type_points() }}) as withheld_bot,
    cast(withheld_first_time as {{ lead_scoring.type_points() }})
        as withheld_first_time,
    cast(withheld_cap as {{ lead_scoring.type_points() }}) as withheld_cap,
    cast(awarded_points as {{ lead_scoring.type_points() }}) as awarded_points,
    -- Rounded to hundredths per row, so the ledger's columns add up exactly.
    cast(
        round(awarded_points * (1.0 - decay_factor), 2)
        as {{ lead_scoring.type_points() }}
    ) as decayed_points,

    -- timestamps
    activity_date,
    {{ lead_scoring.as_of_date() }} as as_of_date,
    {{ lead_scoring.run_timestamp() }} as processed_at
from with_factor
