{{
    config(
        materialized='incremental',
        unique_key='record_key',
        incremental_strategy=lead_scoring.incremental_strategy(),
        on_schema_change='fail'
    )
}}

{#
    One row per raw activity row that int_activities does not keep: rows that break the
    contract and re-deliveries of an event already kept. Together with int_activities it
    accounts for every raw row, which assert_raw_activities_accounted_for checks.

    An incremental run takes the event ids of the rows loaded since the previous run and
    recomputes all raw rows of those ids, so the row kept as the first delivery and the
    re-deliveries stay consistent however the deliveries were split across loads.
#}

-- depends_on: {{ ref('activity_types') }}
-- depends_on: {{ ref('int_activities') }}
-- depends_on: {{ source('raw', 'activities') }}

with

{% if is_incremental() %}

    {#- The load-time watermark as int_activities had it before this run. #}
    {%- set watermark = lead_scoring.load_watermark_literal(
        ref('int_activities'), 'processed_at < ' ~ lead_scoring.run_timestamp()) %}

    new_keys as (

        -- Rows without a readable loaded_at have no place in the load order, so
        -- every run rechecks their ids (the comparison is null). Such rows are rare.
        -- Only the rows the cheap text test lets through are parsed. The others
        -- are only checked for being unreadable, which costs less.
        select distinct
            coalesce({{ lead_scoring.clean_text('raw_activities.event_id') }}, '')
                as record_key
        from {{ source('raw', 'activities') }} as raw_activities
        where
            case
                when {{ lead_scoring.may_parse_at_or_after(
                    'raw_activities.loaded_at', watermark.value) }}
                    then coalesce(
                        {{ lead_scoring.parse_timestamp('raw_activities.loaded_at') }}
                        >= {{ watermark.sql }},
                        true
                    )
                else {{ lead_scoring.is_unparseable_timestamp('raw_activities.loaded_at') }}
            end

    ),

    raw_rows as (

        select raw_activities.*
        from {{ source('raw', 'activities') }} as raw_activities
        inner join new_keys
            on
                coalesce({{ lead_scoring.clean_text('raw_activities.event_id') }}, '')
                = new_keys.record_key

    ),

    checked as (

        {{ lead_scoring.checked_activities('raw_rows') }}

    ),

{% else %}

    checked as (

        select * from {{ ref('stg_activities') }}

    ),

{% endif %}

ranked as (

    select
        *,
        case
            when rejection_reason is null
                then row_number() over (
                    partition by event_id, rejection_reason is null
                    -- The order int_activities keeps the first delivery by.
                    order by
                        loaded_at, occurred_at, lead_id, visitor_id, url, asset
                )
        end as delivery_rank
    from checked

),

final as (

    select
        -- ids
        coalesce(event_id, '') as record_key,
        event_id,

        -- text
        coalesce(
            rejection_reason, 'duplicate event_id (re-delivery)'
        ) as reason,
        activity_type,
        occurred_at_text,

        -- timestamps
        loaded_at
    from ranked
    where rejection_reason is not null or delivery_rank > 1

)

select * from final
