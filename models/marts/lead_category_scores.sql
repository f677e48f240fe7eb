{{ lead_scoring.rescored_by_lead_config(['lead_id', 'category']) }}

{#
    One row per lead and score category with points: the score split by
    interest area.

    Incremental by lead: see rescores_changed_leads() in
    macros/incremental_scope.sql.
#}

-- depends_on: {{ ref('int_affected_leads') }}

with

ledger as (

    select * from {{ ref('score_ledger') }}
    where {{ lead_scoring.is_rescored_lead('lead_id') }}

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
