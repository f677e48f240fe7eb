{# Every published score is exactly the sum of its ledger rows. #}

with

scores as (

    select * from {{ ref('lead_scores') }}

),

ledger_totals as (

    select
        lead_id,
        sum(points) as points
    from {{ ref('score_ledger') }}
    group by lead_id

)

select
    scores.lead_id,
    scores.score,
    ledger_totals.points
from scores
left join ledger_totals on scores.lead_id = ledger_totals.lead_id
where scores.score != coalesce(ledger_totals.points, 0)
