{#
    The unit of incremental work: each lead whose daily rows this run must rewrite, and
    the first day that can change. Days before it keep their rows.

    A new event changes its own day and, through first-time-only rules, later days. A
    new identity link brings in the visitor's anonymous events; it also concerns every
    other lead that visitor was identified as, since an earlier identify event loaded
    late takes the visitor away from the lead that had it. Both reach back to the day
    of the earliest event concerned.

    New means read by this run (processed_at), so the scope does not depend on the
    tables it rewrites: their pre-hooks delete the scope's rows before the new rows go
    in, which removes the rows of days a lead no longer has.

    A full refresh rebuilds every table from all events and reads none of this, so the
    model stays empty then.
#}

with

run_events as (

    select
        lead_id,
        visitor_id,
        activity_date
    from {{ ref('int_activities') }}
    where processed_at = {{ lead_scoring.run_timestamp() }}

),

new_links as (

    select visitor_id from {{ ref('int_identity_map') }}
    where processed_at = {{ lead_scoring.run_timestamp() }}

),

linked_leads as (

    -- Every lead a newly linked visitor was ever identified as: the winner
    -- gains the visitor's events, and the others may have held them before.
    select distinct
        identify_events.visitor_id,
        identify_events.lead_id
    from {{ ref('int_activities') }} as identify_events
    inner join new_links
        on identify_events.visitor_id = new_links.visitor_id
    where
        identify_events.activity_type = 'identify'
        and identify_events.lead_id is not null

),

touched as (

    select
        lead_id,
        activity_date
    from run_events
    where lead_id is not null

    union all

    -- New anonymous events of a visitor identified before.
    select
        identities.lead_id,
        run_events.activity_date
    from run_events
    inner join {{ ref('int_identity_map') }} as identities
        on run_events.visitor_id = identities.visitor_id
    where run_events.lead_id is null

    union all

    select
        linked_leads.lead_id,
        activities.activity_date
    from linked_leads
    inner join {{ ref('int_activities') }} as activities
        on linked_leads.visitor_id = activities.visitor_id
    where activities.lead_id is null

)

select
    lead_id,
    min(activity_date) as from_date
from touched
{% if flags.FULL_REFRESH %}
    where false
{% endif %}
group by lead_id
