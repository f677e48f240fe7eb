{#
    Type raw activity rows and give the reason a row breaks the contract, if it does.
    `raw` is a relation or CTE with the columns of raw.activities. stg_activities runs it
    over every row; int_activities over the rows loaded since its last run.
#}
{% macro checked_activities(raw) -%}

with

source as (

    select * from {{ raw }}

),

activity_types as (

    select * from {{ ref('activity_types') }}

),

typed as (

    select
        -- ids
        {{ lead_scoring.clean_text('source.event_id') }} as event_id,
        {{ lead_scoring.clean_text('source.lead_id') }} as lead_id,
        {{ lead_scoring.clean_text('source.visitor_id') }} as visitor_id,

        -- text
        lower({{ lead_scoring.clean_text('source.activity_type') }})
            as activity_type,
        {{ lead_scoring.clean_text('source.url') }} as url,
        {{ lead_scoring.clean_text('source.asset') }} as asset,
        {{ lead_scoring.clean_text('source.user_agent') }} as user_agent,
        {{ lead_scoring.clean_text('source.properties') }} as properties,

        -- numbers
        {{ lead_scoring.parse_number('source.duration_seconds') }}
            as duration_seconds,
        {{ lead_scoring.clean_text('source.duration_seconds') }}
            as duration_seconds_text,

        -- timestamps
        {{ lead_scoring.parse_timestamp('source.occurred_at') }} as occurred_at,
        {{ lead_scoring.parse_timestamp('source.loaded_at') }} as loaded_at,
        {{ lead_scoring.clean_text('source.occurred_at') }} as occurred_at_text,
        {{ lead_scoring.clean_text('source.loaded_at') }} as loaded_at_text
    from source

),

checked as (

    select
        typed.*,
        activity_types.activity_type is not null as is_known_type,
        case
            when typed.event_id is null then 'missing event_id'
            when typed.lead_id is null and typed.visitor_id is null
                then 'missing lead_id and visitor_id'
            when typed.activity_type is null then 'missing activity_type'
            when activity_types.activity_type is null
                then 'unknown activity_type'
            when typed.occurred_at_text is null then 'missing occurred_at'
            when typed.occurred_at is null then 'unparseable occurred_at'
            when typed.loaded_at_text is null then 'missing loaded_at'
            when typed.loaded_at is null then 'unparseable loaded_at'
            -- An event cannot happen after it reached the warehouse. A small
            -- lead is a skewed clock at the source, a large one a broken
            -- timestamp.
            when typed.occurred_at > {{ dbt.dateadd(
                'minute', var('clock_skew_tolerance_minutes'), 'typed.loaded_at') }}
                then 'occurred_at in the future'
            -- A placeholder such as the Unix epoch stands for a missing time.
            -- Scored, it would take the first occurrence of a first-time-only
            -- rule from the real event.
            when typed.occurred_at < cast(
                '{{ var("earliest_occurred_at") }}' as {{ dbt.type_timestamp() }})
                then 'occurred_at before {{ var("earliest_occurred_at") }}'
            when
                typed.duration_seconds_text is not null
                -- Also rejects NaN and infinity, which parse as numbers.
                -- A visit cannot last longer than a day.
                and not coalesce(
                    typed.duration_seconds >= 0
                    and typed.duration_seconds <= 86400,
                    false
                )
                then 'invalid duration_seconds'
        end as rejection_reason
    from typed
    left join activity_types
        on typed.activity_type = activity_types.activity_type

),

final as (

    select
        event_id,
        lead_id,
        visitor_id,
        activity_type,
        url,
        asset,
        user_agent,
        properties,
        duration_seconds,
        -- Within the skew tolerance the source clock ran ahead: trust the
        -- warehouse.
        case
            when occurred_at > loaded_at then loaded_at else occurred_at
        end as occurred_at,
        loaded_at,
        occurred_at_text,
        loaded_at_text,
        rejection_reason
    from checked

)

select * from final

{%- endmacro %}

{#
    The order in which the deliveries of one event rank, first delivery first, over the
    columns of checked_activities(). int_activities keeps the first; int_activity_rejects
    lists the others. Every column takes part, so two deliveries tie only when they are
    the same row after checking, and then it does not matter which one is kept: the two
    models, ranking separately, cannot pick different rows.
#}
{% macro delivery_order() -%}
    loaded_at, occurred_at, lead_id, visitor_id, url, asset, activity_type, user_agent,
    properties, duration_seconds, occurred_at_text, loaded_at_text
{%- endmacro %}
