{{
    config(
        materialized='incremental',
        incremental_strategy=lead_scoring.replaced_rows_strategy(),
        on_schema_change='fail',
        pre_hook='{{ lead_scoring.delete_reread_rejects(this) }}'
    )
}}

{#
    One row per raw activity row that int_activities does not keep: rows that break the
    contract and re-deliveries of an event already kept. Together with int_activities it
    accounts for every raw row, which assert_raw_activities_accounted_for checks.

    An incremental run reads the raw rows int_activities reads (loaded at or after the
    load-time watermark) and those without a readable loaded_at; the pre-hook deletes
    the rows it found in them before. The rows loaded before the watermark keep their
    verdict: their contract check does not change without a rule change, which rebuilds
    everything, and an event kept before the watermark stays kept.
#}

-- depends_on: {{ ref('activity_types') }}
-- depends_on: {{ ref('int_activities') }}
-- depends_on: {{ source('raw', 'activities') }}

with

{% if is_incremental() %}

    {#- The load-time watermark as int_activities had it before this run. #}
    {%- set watermark = lead_scoring.reread_rejects_watermark() %}

    new_raw as (

        -- Rows without a readable loaded_at have no place in the load order, so
        -- every run checks them again (the comparison is null). Such rows are rare.
        -- Only the rows the cheap text test lets through are parsed. The others
        -- are only checked for being unreadable, which costs less.
        select raw_activities.*
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

    batch as (

        {{ lead_scoring.checked_activities('new_raw') }}

    ),

    kept_here as (

        -- Every valid event is kept in int_activities by its first delivery. When
        -- that delivery was loaded at or after the watermark, it is among the rows
        -- read here. Any other event was kept before the watermark, so its valid
        -- rows here are re-deliveries. The filter on loaded_at reads few rows of
        -- int_activities; a join on event_id would read every one.
        select event_id
        from {{ ref('int_activities') }}
        where loaded_at >= {{ watermark.sql }}

    ),

    checked as (

        select
            batch.*,
            batch.rejection_reason is null
            and kept_here.event_id is null as is_kept_before
        from batch
        left join kept_here
            on batch.event_id = kept_here.event_id

    ),

{% else %}

    checked as (

        -- Every delivery is read, so the ranking below finds the re-deliveries.
        select
            *,
            false as is_kept_before
        from {{ ref('stg_activities') }}

    ),

{% endif %}

ranked as (

    select
        *,
        case
            when rejection_reason is null
                then row_number() over (
                    partition by event_id, rejection_reason is null
                    order by {{ lead_scoring.delivery_order() }}
                )
        end as delivery_rank
    from checked

),

final as (

    select
        -- ids
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
    where
        rejection_reason is not null
        or delivery_rank > 1
        or is_kept_before

)

select * from final
