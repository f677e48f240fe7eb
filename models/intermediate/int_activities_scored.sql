{{ config(materialized='view') }}

{#
    One row per valid event with the rule that scored it and its flags: the activity
    detail behind every row of the score ledger. A view, because the daily models
    recompute only the leads a run touches and this full version is for explaining.
#}

with

resolved as (

    {{ lead_scoring.resolved_activities() }}

),

scored as (

    {{ lead_scoring.scored_activities('resolved') }}

)

select * from scored
