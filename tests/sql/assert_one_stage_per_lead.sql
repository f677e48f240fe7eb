{{ config(severity='warn') }}

{#
    A rule set should end with a catch-all stage; a lead that meets no stage has a
    null stage and is missing from stage counts.
#}

select lead_id
from {{ ref('lead_qualification') }}
where stage is null
