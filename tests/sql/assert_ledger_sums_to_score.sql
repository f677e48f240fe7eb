{#
    Every published score is exactly the sum of its ledger rows. When the build
    recomputed only the affected leads, the other leads' rows are the ones the last
    build published after this test passed, so only the affected leads are checked.
#}

with

scores as (

    select * from {{ ref('lead_scores') }}
    where {{ lead_scoring.rescored_leads_condition() }}

),

ledger_totals as (

    select
        lead_id,
        sum(points) as points
    from {{ ref('score_ledger') }}
    where {{ lead_scoring.rescored_leads_condition() }}
    group by lead_id

)

select
    scores.lead_id,
    scores.score,
    ledger_totals.points
from scores
left join ledger_totals on scores.lead_id = ledger_totals.lead_id
where scores.score != coalesce(ledger_totals.points, 0)
