{#
    One row per lead and score category with points: the score split by
    interest area.
#}

with

ledger as (

    select * from {{ ref('score_ledger') }}

)

select
    lead_id,
    category,
    cast(sum(points) as {{ lead_scoring.type_points() }}) as score,
    cast(sum(raw_points) as {{ lead_scoring.type_points() }}) as raw_points,
    max(as_of_date) as as_of_date
from ledger
where rule_type != 'limit' or category != 'total'
group by lead_id, category
