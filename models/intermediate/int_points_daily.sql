{{
    config(
        materialized='incremental',
        unique_key=['lead_id', 'rule_id', 'activity_date'],
        incremental_strategy=lead_scoring.incremental_strategy(),
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}"
            "{{ lead_scoring.delete_affected_rows(this, 'activity_date') }}"
            "{% else %}"
            "{{ lead_scoring.fill_slices(this) }}"
            "{% endif %}",
        ],
        post_hook=(
            "drop table if exists {{ lead_scoring.slices_relation(this) }}"
        )
    )
}}

{#
    Points per lead, rule and activity day: the durable layer that scores, decay and the
    ledger are computed from. Points are taken away in a fixed order: bot events first,
    then repeats of first-time-only rules, then whatever exceeds the rule's daily cap.
    The SQL is in macros/points_daily.sql, because a large full refresh runs it per slice
    of the leads (the pre-hook) and then reads the slices' table here.
#}

-- depends_on: {{ ref('int_affected_leads') }}

{% if is_incremental() %}

    with

    scope as (

        -- A day of margin before the first changed day feeds the email-scanner
        -- windows, which look back seconds and can cross midnight.
        select
            lead_id,
            from_date,
            {{ dbt.dateadd('day', -1, 'from_date') }} as read_from_date
        from {{ ref('int_affected_leads') }}

    ),

    events_to_score as (

        {{ lead_scoring.affected_activities(
            'scope', 'read_from_date', lead_scoring.earliest_affected_day(1)) }}

    ),

    prior_counts as (

        -- What first-time-only rules need from before the events read: how many
        -- counted events each rule already had. Days before read_from_date are
        -- not recomputed, so their rows are final.
        select
            existing.lead_id,
            existing.rule_id,
            sum(existing.counted_events) as counted_events
        from {{ this }} as existing
        inner join scope
            on
                existing.lead_id = scope.lead_id
                and existing.activity_date < scope.read_from_date
        group by existing.lead_id, existing.rule_id

    ),

    points as (

        {{ lead_scoring.daily_points('events_to_score', 'prior_counts', 'scope') }}

    )

    select * from points

{% elif lead_scoring.full_refresh_slices() > 1 %}

    select * from {{ lead_scoring.slices_relation(this) }}

{% else %}

    {{ lead_scoring.daily_points_of_all_leads() }}

{% endif %}
