{#
    One row per anonymous visitor linked to a lead. The first identify event wins, so a
    shared computer that later logs in as someone else does not move history.
#}
with

identify_events as (

    select * from {{ ref('int_activities') }}
    where
        activity_type = 'identify'
        and lead_id is not null
        and visitor_id is not null

),

ranked as (

    select
        visitor_id,
        lead_id,
        occurred_at as identified_at,
        loaded_at,
        processed_at,
        row_number() over (
            partition by visitor_id order by occurred_at, event_id
        ) as identify_rank
    from identify_events

)

select
    visitor_id,
    lead_id,
    identified_at,
    loaded_at,
    processed_at
from ranked
where identify_rank = 1
