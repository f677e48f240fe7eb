{#
    One row per lead and stage spell: the stage a lead entered, the one it came from,
    when it entered and when it left (null while it is still there). Built from the
    daily history, so "how many leads became MQL last week" is a filter on
    to_stage and entered_on.
#}

with

history as (

    select * from {{ ref('lead_score_history') }}

),

with_previous as (

    select
        lead_id,
        as_of_date,
        stage,
        lag(stage) over (
            partition by lead_id order by as_of_date
        ) as previous_stage,
        row_number() over (
            partition by lead_id order by as_of_date
        ) as day_number
    from history

),

entries as (

    -- A lead's first recorded day counts as entering its stage.
    select
        lead_id,
        as_of_date as entered_on,
        previous_stage as from_stage,
        stage as to_stage
    from with_previous
    where
        day_number = 1
        or stage != previous_stage
        or (stage is null) != (previous_stage is null)

)

select
    {{ dbt.concat(['lead_id', "'|'",
        dbt.cast('entered_on', dbt.type_string())]) }} as transition_id,
    lead_id,
    from_stage,
    to_stage,
    entered_on,
    lead(entered_on) over (partition by lead_id order by entered_on) as left_on
from entries
