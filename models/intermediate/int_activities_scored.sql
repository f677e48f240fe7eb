{{ config(materialized='view') }}

{#
    One row per valid event of a known or identified lead, with the rule that scored
    it and its flags: the activity detail behind every row of the score ledger. Events
    of visitors not identified yet wait in int_activities. A view, because the daily
    models recompute only the leads a run touches and this full version is for
    explaining.
#}

with

resolved as (

    select * from (
        {{ lead_scoring.resolved_activities() }}
    ) as activities
    where scored_lead_id is not null

),

scored as (

    {{ lead_scoring.scored_activities('resolved') }}

)

select * from scored
