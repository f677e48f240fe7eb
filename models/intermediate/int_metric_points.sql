{{ lead_scoring.rescored_by_lead_config(['lead_id', 'rule_id']) }}

{#
    Metric rules: engagement over a window ending on the scoring date compared with a
    threshold. One row per lead and metric rule, with the measured value and whether the
    rule fired. Every known lead is measured, so a rule such as "fewer than 1 session in
    30 days" fires for leads with no activity at all.

    Incremental by lead: see rescores_changed_leads() in macros/incremental_scope.sql.
#}

-- depends_on: {{ ref('int_affected_leads') }}

with

leads as (

    select lead_id from {{ ref('stg_leads') }}
    where {{ lead_scoring.is_rescored_lead('lead_id') }}

),

engagement as (

    select * from {{ ref('int_engagement_daily') }}
    where
        activity_date <= {{ lead_scoring.as_of_date() }}
        and {{ lead_scoring.is_rescored_lead('lead_id') }}

),

metric_rules as (

    select * from {{ ref('stg_rules__metric_rules') }}

),

windowed as (

    select
        engagement.lead_id,
        metric_rules.rule_id,
        sum(engagement.sessions) as sessions,
        count(distinct case
            when engagement.activities > 0 then engagement.activity_date
        end) as active_days,
        sum(engagement.time_on_site_seconds) as time_on_site_seconds,
        sum(engagement.page_views) as page_views,
        sum(engagement.priority_page_views) as priority_page_views
    from engagement
    inner join metric_rules
        on engagement.activity_date > {{ dbt.dateadd(
            'day', '-1 * metric_rules.window_days', lead_scoring.as_of_date()) }}
    group by engagement.lead_id, metric_rules.rule_id

),

lead_rules as (

    select
        leads.lead_id,
        metric_rules.rule_id
    from leads
    cross join metric_rules

    union

    -- Leads not loaded yet still get the points their engagement earns.
    select
        lead_id,
        rule_id
    from windowed

),

measured as (

    select
        lead_rules.lead_id,
        metric_rules.rule_id,
        metric_rules.metric,
        metric_rules.operator,
        metric_rules.threshold,
        metric_rules.points,
        metric_rules.category,
        cast(case metric_rules.metric
            when 'sessions' then coalesce(windowed.sessions, 0)
            when 'active_days' then coalesce(windowed.active_days, 0)
            when 'time_on_site_seconds'
                then coalesce(windowed.time_on_site_seconds, 0)
            when 'page_views' then coalesce(windowed.page_views, 0)
            when 'priority_page_views'
                then coalesce(windowed.priority_page_views, 0)
        end as {{ lead_scoring.type_double() }}) as metric_value
    from lead_rules
    inner join metric_rules on lead_rules.rule_id = metric_rules.rule_id
    left join windowed
        on
            lead_rules.lead_id = windowed.lead_id
            and lead_rules.rule_id = windowed.rule_id

),

compared as (

    select
        *,
        {{ lead_scoring.compare_values(
            'cast(metric_value as ' ~ dbt.type_string() ~ ')',
            'operator',
            'cast(threshold as ' ~ dbt.type_string() ~ ')') }} as is_match
    from measured

)

select
    lead_id,
    rule_id,
    metric,
    category,
    metric_value,
    threshold,
    coalesce(is_match, false) as is_match,
    cast(
        case when is_match then points else 0 end
        as {{ lead_scoring.type_points() }}
    ) as points,
    {{ lead_scoring.as_of_date() }} as activity_date
from compared
