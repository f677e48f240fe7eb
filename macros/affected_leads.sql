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
    the earliest event concerned. `resolved` is a CTE of resolved_activities() and
    `this_relation` the incremental model whose max_loaded_at is the watermark.
#}
{% macro affected_leads(resolved, this_relation) -%}
    with

    watermark as (

        select
            coalesce(max(max_loaded_at), cast('1900-01-01' as timestamp))
                as loaded_at
        from {{ this_relation }}

    ),

    touched as (

        select
            {{ resolved }}.scored_lead_id as lead_id,
            {{ resolved }}.activity_date
        from {{ resolved }}
        cross join watermark
        where
            {{ resolved }}.scored_lead_id is not null
            and (
                {{ resolved }}.loaded_at >= watermark.loaded_at
                or {{ resolved }}.identified_loaded_at >= watermark.loaded_at
            )

    )

    select
        lead_id,
        min(activity_date) as from_date
    from touched
    group by lead_id
{%- endmacro %}
