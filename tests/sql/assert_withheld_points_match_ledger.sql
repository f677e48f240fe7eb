{#
    Each reason's withheld points add up exactly to its column of the score
    ledger. The bot and first-time rows are summed from the per-reason columns
    of the daily points, so this also checks those against the ledger.
#}

with

ledger as (

    select * from {{ ref('score_ledger') }}

),

withheld as (

    select * from {{ ref('withheld_points') }}

),

ledger_totals as (

    select
        'bot' as reason,
        sum(withheld_bot) as points
    from ledger

    union all

    select
        'first_time' as reason,
        sum(withheld_first_time) as points
    from ledger

    union all

    select
        'daily_cap' as reason,
        sum(withheld_cap) as points
    from ledger

    union all

    select
        'decay' as reason,
        sum(decayed_points) as points
    from ledger

    union all

    select
        'score_limit' as reason,
        sum(withheld_limit) as points
    from ledger

),

withheld_totals as (

    select
        reason,
        sum(points) as points
    from withheld
    group by reason

)

select
    coalesce(ledger_totals.reason, withheld_totals.reason) as reason,
    ledger_totals.points as ledger_points,
    withheld_totals.points as withheld_points
from ledger_totals
full outer join withheld_totals
    on ledger_totals.reason = withheld_totals.reason
where
    ledger_totals.reason is null
    or withheld_totals.reason is null
    or coalesce(ledger_totals.points, 0) != withheld_totals.points
