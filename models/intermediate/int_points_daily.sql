{{
    config(
        materialized='incremental',
        unique_key=['lead_id', 'rule_id', 'activity_date'],
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
    Points per lead, rule and activity day: the durable layer that scores, decay and the
    ledger are computed from. Points are taken away in a fixed order: bot events first,
    then repeats of first-time-only rules, then whatever exceeds the rule's daily cap.
#}

-- depends_on: {{ ref('int_affected_leads') }}

with

{% if is_incremental() %}

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

        {{ lead_scoring.affected_activities('scope', 'read_from_date') }}

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

    scored as (

        {{ lead_scoring.scored_activities(
            'events_to_score', 'prior_counts', detail=false) }}

    ),

{% else %}

    resolved as (

        {{ lead_scoring.resolved_activities() }}

    ),

    events_to_score as (

        select * from resolved
        where scored_lead_id is not null

    ),

    scored as (

        {{ lead_scoring.scored_activities('events_to_score', detail=false) }}

    ),

{% endif %}

in_scope as (

    select scored.*
    from scored
    {% if is_incremental() %}
        inner join scope
            on
                scored.lead_id = scope.lead_id
                and scored.activity_date >= scope.from_date
    {% endif %}
    where scored.rule_id is not null

),

daily as (

    select
        lead_id,
        rule_id,
        activity_date,
        max(rule_type) as rule_type,
        max(category) as category,
        max(daily_cap) as daily_cap,
        cast(count(*) as {{ dbt.type_bigint() }}) as events,
        cast(
            sum(case when is_bot then 0 else 1 end) as {{ dbt.type_bigint() }}
        ) as counted_events,
        sum(case when is_priority and not is_bot then 1 else 0 end)
            as priority_events,
        sum(raw_points) as raw_points,
        sum(case when is_bot then raw_points else 0 end) as withheld_bot,
        {% for column, reason in [
            ('agent_bot', 'bot user agent'),
            ('delivery_scanner', 'email link scanner: click right after delivery'),
            ('burst_scanner', 'email link scanner: every link clicked at once'),
        ] %}
            sum(case when bot_reason = '{{ reason }}' then 1 else 0 end)
                as {{ column }}_events,
            sum(
                case when bot_reason = '{{ reason }}' then raw_points else 0 end
            ) as {{ column }}_points,
        {% endfor %}
        sum(case when is_repeat_of_first_time_rule then 1 else 0 end)
            as repeat_events,
        sum(
            case
                when is_repeat_of_first_time_rule then raw_points else 0
            end
        ) as withheld_first_time,
        sum(
            case
                when not is_bot and not is_repeat_of_first_time_rule
                    then raw_points
                else 0
            end
        ) as eligible_points,
        max(loaded_at) as max_loaded_at
    from in_scope
    group by lead_id, rule_id, activity_date

),

capped as (

    select
        *,
        -- The cap limits a day's points in either direction: at most daily_cap
        -- points gained, or daily_cap points lost for a negative rule.
        case
            when daily_cap is null then 0
            when eligible_points > daily_cap then eligible_points - daily_cap
            when eligible_points < -daily_cap then eligible_points + daily_cap
            else 0
        end as withheld_cap
    from daily

)

select
    -- ids
    lead_id,
    rule_id,

    -- text
    rule_type,
    category,

    -- numbers
    events,
    counted_events,
    priority_events,
    raw_points,
    withheld_bot,
    agent_bot_events,
    agent_bot_points,
    delivery_scanner_events,
    delivery_scanner_points,
    burst_scanner_events,
    burst_scanner_points,
    withheld_first_time,
    repeat_events,
    withheld_cap,
    eligible_points - withheld_cap as awarded_points,

    -- timestamps
    activity_date,
    max_loaded_at,
    {{ lead_scoring.run_timestamp() }} as processed_at
from capped
