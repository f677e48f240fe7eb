{#
    Events with the lead they score for: their own lead_id, else the lead their
    anonymous visitor id was later linked to. Events of visitors not yet identified get
    no lead and wait for an identify event.
#}
{% macro resolved_activities() -%}
    select
        activities.*,
        coalesce(activities.lead_id, identities.lead_id) as scored_lead_id,
        identities.loaded_at as identified_loaded_at
    from {{ ref('int_activities') }} as activities
    left join {{ ref('int_identity_map') }} as identities
        -- An event's own lead_id wins; the key is null then, which joins nothing.
        on
            case
                when activities.lead_id is null then activities.visitor_id
            end = identities.visitor_id
{%- endmacro %}

{#
    The unit of incremental work: each lead with events loaded since the last run, and
    the first day a daily row of that lead can change. Days before it keep their rows.

    A late event changes its own day and, through first-time-only rules, later days; an
    identify event brings in the visitor's earlier events. Both reach back to the day of
    the earliest event concerned. `this_relation` is the incremental model whose
    max_loaded_at is the watermark.

    Each branch starts from a filter on loaded_at, which int_activities stores in load
    order, so a run reads the new events and the events of the leads they touch rather
    than every event ever loaded.
#}
{% macro affected_leads(this_relation) -%}
    with

    watermark as (

        select
            coalesce(max(max_loaded_at), cast('1900-01-01' as timestamp))
                as loaded_at
        from {{ this_relation }}

    ),

    new_events as (

        select
            activities.lead_id,
            activities.visitor_id,
            activities.activity_date
        from {{ ref('int_activities') }} as activities
        cross join watermark
        where activities.loaded_at >= watermark.loaded_at

    ),

    new_links as (

        select identities.*
        from {{ ref('int_identity_map') }} as identities
        cross join watermark
        where identities.loaded_at >= watermark.loaded_at

    ),

    touched as (

        select
            lead_id,
            activity_date
        from new_events
        where lead_id is not null

        union all

        -- New anonymous events of a visitor identified earlier.
        select
            identities.lead_id,
            new_events.activity_date
        from new_events
        inner join {{ ref('int_identity_map') }} as identities
            on new_events.visitor_id = identities.visitor_id
        where new_events.lead_id is null

        union all

        -- A new link brings in every anonymous event of the visitor.
        -- NOTE: when a later-loaded identify event that happened earlier moves a
        -- visitor to another lead, the lead that loses the visitor is not
        -- recomputed and keeps those points until a full refresh.
        select
            new_links.lead_id,
            activities.activity_date
        from new_links
        inner join {{ ref('int_activities') }} as activities
            on new_links.visitor_id = activities.visitor_id
        where activities.lead_id is null

    )

    select
        lead_id,
        min(activity_date) as from_date
    from touched
    group by lead_id
{%- endmacro %}

{#
    resolved_activities() for the leads in `affected` only, from the day in its column
    `from_column` on. Reads the events of those leads, not all events.
#}
{% macro affected_activities(affected, from_column) -%}
    select
        activities.*,
        activities.lead_id as scored_lead_id,
        cast(null as {{ dbt.type_timestamp() }}) as identified_loaded_at
    from {{ ref('int_activities') }} as activities
    inner join {{ affected }}
        on activities.lead_id = {{ affected }}.lead_id
    where activities.activity_date >= {{ affected }}.{{ from_column }}

    union all

    select
        activities.*,
        identities.lead_id as scored_lead_id,
        identities.loaded_at as identified_loaded_at
    from {{ ref('int_activities') }} as activities
    inner join {{ ref('int_identity_map') }} as identities
        on activities.visitor_id = identities.visitor_id
    inner join {{ affected }}
        on identities.lead_id = {{ affected }}.lead_id
    where
        activities.lead_id is null
        and activities.activity_date >= {{ affected }}.{{ from_column }}
{%- endmacro %}
