{#
    Score activity events: the SQL behind int_activities_scored and the daily models.

    `events` names a relation or CTE of int_activities rows with one more column,
    scored_lead_id (the lead after identity stitching). Callers pass all events, or only
    those of the leads a run must recompute; every window below is partitioned by lead,
    so a lead's result never depends on another lead's events.

    A caller may also pass only a lead's recent events, from at least a day before the
    first day it needs. The scanner windows look back seconds, so a day is enough; for
    first-time-only rules `prior_counts` (columns lead_id, rule_id, counted_events) says
    how many counted events of each rule the lead had before the events passed.

    Per event this decides the rule (a page rule replaces the default page-view rule),
    the raw points, whether a bot or an email link scanner produced the event, and
    whether a first-time-only rule has already scored for the lead.

    With `detail` false the result lacks the event's descriptive text (url, asset, user
    agent, visitor, duration), which daily aggregates do not need. The intermediate
    results below are read more than once, so DuckDB may store them; at 100M events the
    descriptive text alone made that spill tens of gigabytes to disk.
#}
{% macro scored_activities(events, prior_counts=none, detail=true) -%}

{%- set detail_columns = [
    'url', 'asset', 'user_agent', 'visitor_id', 'duration_seconds'
] if detail else [] -%}

with

scoring_events as (

    -- Join keys computed up front: a constant test inside a left join's condition
    -- keeps DuckDB from using a hash join there.
    select
        event_id,
        scored_lead_id,
        lead_id,
        activity_type,
        url_base,
        asset_key,
        user_agent_key,
        occurred_at,
        activity_date,
        loaded_at,
        {% for column in detail_columns -%}
            {{ column }},
        {% endfor -%}
        case when activity_type = 'page_view' then url_base end as page_url_base,
        coalesce(url_query, '') as url_query_key,
        coalesce(asset_key, '') as asset_join_key
    from {{ events }}

),

activity_rules as (

    select * from {{ ref('stg_rules__activity_rules') }}

),

page_rules as (

    select * from {{ ref('stg_rules__page_rules') }}

),

asset_matches as (

    select * from {{ ref('int_asset_rule_matches') }}

),

page_matches as (

    select * from {{ ref('int_page_rule_matches') }}

),

bot_user_agents as (

    select * from {{ ref('int_user_agent_bots') }}

),

with_rules as (

    select
        scoring_events.*,
        page_rules.rule_id as page_rule_id,
        activity_rules.rule_id as activity_rule_id,
        coalesce(page_rules.rule_id, activity_rules.rule_id) as rule_id,
        case
            when page_rules.rule_id is not null then 'page'
            when activity_rules.rule_id is not null then 'activity'
        end as rule_type,
        coalesce(page_rules.points, activity_rules.points, 0) as raw_points,
        coalesce(page_rules.category, activity_rules.category) as category,
        coalesce(page_rules.is_priority, false) as is_priority,
        -- A page rule takes is_repeatable and daily_cap from the page-view rule:
        -- each page rule's daily points are capped at the page-view rule's cap.
        coalesce(activity_rules.is_repeatable, true) as is_repeatable,
        activity_rules.daily_cap,
        bot_user_agents.bot_rule_id
    from scoring_events
    left join asset_matches
        on
            scoring_events.activity_type = asset_matches.activity_type
            and scoring_events.asset_join_key
            = coalesce(asset_matches.asset_key, '')
    left join activity_rules
        on asset_matches.activity_rule_id = activity_rules.rule_id
    left join page_matches
        on
            scoring_events.page_url_base = page_matches.url_base
            and scoring_events.url_query_key
            = coalesce(page_matches.url_query, '')
    left join page_rules
        on page_matches.page_rule_id = page_rules.rule_id
    left join bot_user_agents
        on scoring_events.user_agent_key = bot_user_agents.user_agent_key

),

email_events as (

    -- Link scanners are spotted among email events only, so the windows below sort
    -- a small share of the events.
    select
        event_id,
        scored_lead_id,
        activity_type,
        asset_join_key,
        url_base,
        occurred_at,
        floor(
            {{ dbt.datediff("cast('1970-01-01' as timestamp)", 'occurred_at', 'second') }}
            / {{ var('email_scanner_window_seconds') }}
        ) as click_burst
    from with_rules
    where activity_type in ('email_delivered', 'email_click')

),

with_deliveries as (

    select
        *,
        -- Latest delivery of the same email to the same lead at or before this event.
        max(
            case
                when activity_type = 'email_delivered' then occurred_at
            end
        ) over (
            partition by scored_lead_id, asset_join_key
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as delivered_at
    from email_events

),

click_bursts as (

    -- Security scanners open every link of an email at once; people do not.
    select
        scored_lead_id,
        asset_join_key,
        click_burst
    from email_events
    where activity_type = 'email_click'
    group by scored_lead_id, asset_join_key, click_burst
    having count(distinct url_base) >= {{ var('email_scanner_burst_links') }}

),

scanner_clicks as (

    select
        with_deliveries.event_id,
        case
            when
                with_deliveries.delivered_at is not null
                and {{ dbt.datediff(
                    'with_deliveries.delivered_at',
                    'with_deliveries.occurred_at', 'second') }}
                <= {{ var('email_scanner_window_seconds') }}
                then 'email link scanner: click right after delivery'
            when click_bursts.click_burst is not null
                then 'email link scanner: every link clicked at once'
        end as scanner_reason
    from with_deliveries
    left join click_bursts
        on
            with_deliveries.scored_lead_id = click_bursts.scored_lead_id
            and with_deliveries.asset_join_key = click_bursts.asset_join_key
            and with_deliveries.click_burst = click_bursts.click_burst
    where with_deliveries.activity_type = 'email_click'

),

flagged as (

    select
        with_rules.*,
        coalesce(
            case
                when with_rules.bot_rule_id is not null then 'bot user agent'
            end,
            scanner_clicks.scanner_reason
        ) as bot_reason
    from with_rules
    left join scanner_clicks on with_rules.event_id = scanner_clicks.event_id

),

first_time_occurrences as (

    -- Bot events never count, so they cannot use up a first-time-only rule. Only
    -- first-time-only rules need the ranking.
    select
        flagged.event_id,
        row_number() over (
            partition by flagged.scored_lead_id, flagged.rule_id
            order by flagged.occurred_at, flagged.event_id
        )
        {%- if prior_counts %} + coalesce(prior_counts.counted_events, 0){% endif %}
            as occurrence_number
    from flagged
    {% if prior_counts %}
        left join {{ prior_counts }} as prior_counts
            on
                flagged.scored_lead_id = prior_counts.lead_id
                and flagged.rule_id = prior_counts.rule_id
    {% endif %}
    where
        flagged.bot_reason is null
        and flagged.rule_id is not null
        and not flagged.is_repeatable

),

ranked as (

    select
        flagged.*,
        first_time_occurrences.occurrence_number
    from flagged
    left join first_time_occurrences
        on flagged.event_id = first_time_occurrences.event_id

),

final as (

    select
        -- ids
        event_id,
        scored_lead_id as lead_id,
        lead_id as event_lead_id,
        {% if detail %}visitor_id,{% endif %}
        rule_id,

        -- text
        activity_type,
        {% if detail %}url,{% endif %}
        url_base,
        {% if detail %}asset,{% endif %}
        {% if detail %}user_agent,{% endif %}
        rule_type,
        category,
        bot_reason,

        -- booleans
        is_priority,
        is_repeatable,
        bot_reason is not null as is_bot,
        (
            not is_repeatable
            and bot_reason is null
            and coalesce(occurrence_number, 0) > 1
        ) as is_repeat_of_first_time_rule,

        -- numbers
        raw_points,
        daily_cap,
        {% if detail %}duration_seconds,{% endif %}

        -- timestamps
        occurred_at,
        activity_date,
        loaded_at
    from ranked

)

select * from final

{%- endmacro %}
