{{
    config(
        materialized='incremental',
        unique_key=['lead_id', 'activity_date'],
        incremental_strategy=lead_scoring.incremental_strategy(),
        on_schema_change='fail',
        pre_hook=(
            "{% if is_incremental() %}"
            "{{ lead_scoring.delete_affected_rows(this, 'activity_date') }}"
            "{% endif %}"
        )
    )
}}

{#
    Engagement per lead and activity day, bots excluded: what metric rules measure over
    their windows. Independent of points, so a metric rule works on activity that no
    activity rule scores.
#}

-- depends_on: {{ ref('int_affected_leads') }}

with

{% if is_incremental() %}

    affected as (

        select * from {{ ref('int_affected_leads') }}

    ),

    resolved as (

        {{ lead_scoring.affected_activities(
            'affected', 'from_date', lead_scoring.earliest_affected_day()) }}

    ),

{% else %}

    resolved as (

        {{ lead_scoring.resolved_activities() }}

    ),

{% endif %}

activity_types as (

    select * from {{ ref('activity_types') }}

),

page_matches as (

    select * from {{ ref('int_page_rule_matches') }}

),

page_rules as (

    select * from {{ ref('stg_rules__page_rules') }}

),

bot_user_agents as (

    select * from {{ ref('int_user_agent_bots') }}

),

events as (

    select
        resolved.scored_lead_id as lead_id,
        resolved.activity_date,
        resolved.activity_type,
        resolved.duration_seconds,
        resolved.loaded_at,
        coalesce(activity_types.is_session, false) as is_session,
        coalesce(page_rules.is_priority, false) as is_priority
    from resolved
    left join activity_types
        on resolved.activity_type = activity_types.activity_type
    left join page_matches
        on
            -- Page rules only score page views; a null key joins nothing.
            case
                when resolved.activity_type = 'page_view' then resolved.url_base
            end = page_matches.url_base
            and coalesce(resolved.url_query, '')
            = coalesce(page_matches.url_query, '')
    left join page_rules
        on page_matches.page_rule_id = page_rules.rule_id
    left join bot_user_agents
        on resolved.user_agent_key = bot_user_agents.user_agent_key
    where
        resolved.scored_lead_id is not null
        and bot_user_agents.user_agent_key is null
        -- Deliveries and identity links are not things the lead did.
        and resolved.activity_type not in ('email_delivered', 'identify')

)

select
    lead_id,
    activity_date,
    -- Cast to 64 bits: DuckDB sums integers into 128-bit ones, slower to scan.
    cast(count(*) as {{ dbt.type_bigint() }}) as activities,
    cast(
        sum(case when is_session then 1 else 0 end) as {{ dbt.type_bigint() }}
    ) as sessions,
    sum(
        case when is_session then coalesce(duration_seconds, 0) else 0 end
    ) as time_on_site_seconds,
    cast(
        sum(case when activity_type = 'page_view' then 1 else 0 end)
        as {{ dbt.type_bigint() }}
    ) as page_views,
    cast(
        sum(
            case
                when activity_type = 'page_view' and is_priority then 1 else 0
            end
        ) as {{ dbt.type_bigint() }}
    ) as priority_page_views,
    max(loaded_at) as max_loaded_at,
    {{ lead_scoring.run_timestamp() }} as processed_at
from events
group by lead_id, activity_date
