{{
    config(
        materialized='incremental',
        unique_key=['lead_id', 'as_of_date'],
        incremental_strategy=lead_scoring.incremental_strategy(),
        full_refresh=false,
        on_schema_change='append_new_columns'
    )
}}

{#
    Score, grade and stage per lead per day, as published. Each run replaces the rows
    of its scoring date, so the last run of a day is that day's record; a backfill with
    the as_of_date variable writes the rows of a past date. A full refresh, including
    the one a rule change triggers, keeps this history: past days stay as they were
    published under the rules of their time.
#}

with

qualification as (

    select * from {{ ref('lead_qualification') }}

)

select
    lead_id,
    as_of_date,
    score,
    grade,
    grade_step,
    stage,
    stage_order,
    cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }})
        as recorded_at
from qualification
