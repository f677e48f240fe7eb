{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy=lead_scoring.incremental_strategy(),
        on_schema_change='fail'
    )
}}

{#
    One row per valid event, first delivery only. New events are selected by when they
    reached the warehouse, not when they happened, so an event that arrives weeks late
    is still picked up by the next run without a guessed lookback.
#}

-- depends_on: {{ ref('activity_types') }}
-- depends_on: {{ source('raw', 'activities') }}

with

{% if is_incremental() %}

    {%- set watermark = lead_scoring.load_watermark_literal(this) %}

    new_raw as (

        -- Only loaded_at is parsed to pick the new rows, and only where the cheap
        -- text test lets it through. The full contract check then runs on them alone.
        -- >= rather than >: rows loaded in the same instant as the last batch are
        -- checked again, and the anti-join below drops the ones already kept.
        select raw_activities.*
        from {{ source('raw', 'activities') }} as raw_activities
        where
            {{ lead_scoring.may_parse_at_or_after(
                'raw_activities.loaded_at', watermark.value) }}
            and {{ lead_scoring.parse_timestamp('raw_activities.loaded_at') }}
            >= {{ watermark.sql }}

    ),

    activities as (

        {{ lead_scoring.checked_activities('new_raw') }}

    ),

{% else %}

    activities as (

        select * from {{ ref('stg_activities') }}

    ),

{% endif %}

new_activities as (

    select * from activities
    where rejection_reason is null

),

first_deliveries as (

    select
        *,
        row_number() over (
            partition by event_id
            order by {{ lead_scoring.delivery_order() }}
        ) as delivery_rank
    from new_activities

),

unseen as (

    -- NOTE: an event already kept stays kept as it was. When the kept
    -- delivery carries a broken future loaded_at and a delivery stamped
    -- earlier arrives later, the later one is listed as the re-delivery,
    -- where a full rebuild keeps it instead. The load-order check before a
    -- build does not catch this: both rows are accounted for.
    select first_deliveries.*
    from first_deliveries
    {% if is_incremental() %}
        left join {{ this }} as existing
            on first_deliveries.event_id = existing.event_id
    {% endif %}
    where
        first_deliveries.delivery_rank = 1
    {% if is_incremental() %}
        and existing.event_id is null
    {% endif %}

),

final as (

    select
        -- ids
        event_id,
        lead_id,
        visitor_id,

        -- text
        activity_type,
        url,
        {{ lead_scoring.normalize_url_base('url') }} as url_base,
        {{ lead_scoring.url_query('url') }} as url_query,
        asset,
        lower(asset) as asset_key,
        user_agent,
        lower(user_agent) as user_agent_key,
        properties,

        -- numbers
        duration_seconds,

        -- timestamps
        occurred_at,
        cast(occurred_at as date) as activity_date,
        loaded_at,
        -- Tells the events of this run from earlier ones: they decide which
        -- leads the run rescores (int_affected_leads).
        {{ lead_scoring.run_timestamp() }} as processed_at
    from unseen

)

select * from final
