{{
    config(
        materialized='incremental',
        unique_key='alert_id',
        incremental_strategy=lead_scoring.incremental_strategy(),
        full_refresh=false,
        on_schema_change='append_new_columns'
    )
}}

{#
    The outbox of hot-lead notifications: one row per crossing into the hot stage. A
    lead that stays hot raises nothing more; one that cools down and comes back raises
    a new alert only when its previous alert is older than the quiet period, so a lead
    hovering at the threshold does not page sales every day. A backfill (the backfill
    variable set while rebuilding past dates) raises nothing. A full refresh keeps the
    outbox, so rescoring never re-sends an alert.
#}

{%- set hot_stage = var('hot_stage') -%}
{%- set is_backfill = var('backfill') -%}

with

qualification as (

    select * from {{ ref('lead_qualification') }}

),

transitions as (

    select * from {{ ref('lead_stage_transitions') }}

),

activities as (

    select * from {{ ref('int_activities') }}

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

current_crossings as (

    select
        qualification.lead_id,
        qualification.owner_email,
        qualification.score,
        qualification.grade,
        qualification.stage,
        qualification.top_reasons,
        transitions.entered_on
    from qualification
    inner join transitions
        on
            qualification.lead_id = transitions.lead_id
            and transitions.left_on is null
            and transitions.to_stage = '{{ hot_stage }}'
    where qualification.stage = '{{ hot_stage }}'
    {% if is_backfill %}
        and 1 = 0
    {% endif %}

),

{% if is_incremental() %}

    previous_alerts as (

        select
            lead_id,
            max(entered_on) as last_entered_on
        from {{ this }}
        group by lead_id

    ),

{% endif %}

new_crossings as (

    select current_crossings.*
    from current_crossings
    {% if is_incremental() %}
        left join previous_alerts
            on current_crossings.lead_id = previous_alerts.lead_id
        where
            previous_alerts.lead_id is null
            or current_crossings.entered_on >= {{ dbt.dateadd(
                'day', var('hot_alert_quiet_period_days'),
                'previous_alerts.last_entered_on') }}
    {% endif %}

),

recent_priority_pages as (

    select
        priority_views.lead_id,
        {{ dbt.listagg(
            'priority_views.url_base', "'; '",
            'order by priority_views.url_base', 5) }} as recent_priority_pages
    from (
        -- Only leads alerted in this run: the join keeps the scan small.
        select distinct
            new_crossings.lead_id,
            activities.url_base
        from new_crossings
        inner join activities on new_crossings.lead_id = activities.lead_id
        inner join page_matches
            on
                activities.url_base = page_matches.url_base
                and coalesce(activities.url_query, '')
                = coalesce(page_matches.url_query, '')
        inner join page_rules
            on page_matches.page_rule_id = page_rules.rule_id
        left join bot_user_agents
            on activities.user_agent_key = bot_user_agents.user_agent_key
        where
            activities.activity_type = 'page_view'
            and page_rules.is_priority
            and bot_user_agents.user_agent_key is null
            and activities.activity_date > {{ dbt.dateadd(
                'day', -14, lead_scoring.as_of_date()) }}
    ) as priority_views
    group by priority_views.lead_id

)

select
    {{ dbt.concat([
        "'hot|'", 'new_crossings.lead_id', "'|'",
        dbt.cast('new_crossings.entered_on', dbt.type_string())
    ]) }} as alert_id,
    new_crossings.lead_id,
    new_crossings.owner_email,
    cast(new_crossings.score as {{ lead_scoring.type_double() }}) as score,
    new_crossings.grade,
    new_crossings.stage,
    new_crossings.top_reasons,
    recent_priority_pages.recent_priority_pages,
    new_crossings.entered_on,
    cast(new_crossings.entered_on as {{ dbt.type_timestamp() }}) as entered_at,
    cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }})
        as created_at
from new_crossings
left join recent_priority_pages
    on new_crossings.lead_id = recent_priority_pages.lead_id
