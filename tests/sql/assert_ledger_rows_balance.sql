{#
    In every ledger row the points are the raw points less everything
    withheld.
#}

select *
from {{ ref('score_ledger') }}
where
    points
    != raw_points - withheld_bot - withheld_first_time - withheld_cap
    - decayed_points - withheld_limit
