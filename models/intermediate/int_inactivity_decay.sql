{{ lead_scoring.rescored_by_lead_config(['lead_id', 'rule_id']) }}

{#
    Step decay: a rule such as "-5 points for every 30 days without activity" takes
    step_points for each full inactivity period since the lead's last activity. It never
    takes more than the positive activity points the lead still has (in the rule's
    category, or overall for '*'), so inactivity alone cannot push a score below zero.

    Incremental by lead: see rescores_changed_leads() in macros/incremental_scope.sql.
#}

-- depends_on: {{ ref('int_affected_leads') }}

with

step_rules as (

    select * from {{ ref('stg_rules__decay_rules') }}
    where decay_method = 'step'

),

engagement as (

    select * from {{ ref('int_engagement_daily') }}
    where
        activity_date <= {{ lead_scoring.as_of_date() }}
        and {{ lead_scoring.is_rescored_lead('lead_id') }}

),

activity_points as (

    select * from {{ ref('int_activity_points_decayed') }}
    where {{ lead_scoring.is_rescored_lead('lead_id') }}

),

last_activity as (

    select
        lead_id,
        max(activity_date) as last_activity_date
    from engagement
    group by lead_id

),

positive_points as (

    select
        step_rules.rule_id as decay_rule_id,
        activity_points.lead_id,
        sum(activity_points.awarded_points - activity_points.decayed_points)
            as remaining_points
    from activity_points
    inner join step_rules
        on step_rules.category in (activity_points.category, '*')
    group by step_rules.rule_id, activity_points.lead_id

),

periods as (

    select
        step_rules.rule_id as decay_rule_id,
        step_rules.category,
        step_rules.step_points,
        last_activity.lead_id,
        last_activity.last_activity_date,
        floor(
            {{ dbt.datediff(
                'last_activity.last_activity_date',
                lead_scoring.as_of_date(), 'day') }}
            / step_rules.inactivity_days
        ) as inactive_periods
    from last_activity
    cross join step_rules

)

select
    periods.lead_id,
    periods.decay_rule_id as rule_id,
    coalesce(nullif(periods.category, '*'), 'inactivity') as category,
    periods.inactive_periods,
    cast(
        least(
            periods.inactive_periods * periods.step_points,
            greatest(positive_points.remaining_points, 0)
        ) as {{ lead_scoring.type_points() }}
    ) as decayed_points,
    {{ lead_scoring.as_of_date() }} as activity_date
from periods
inner join positive_points
    on
        periods.lead_id = positive_points.lead_id
        and periods.decay_rule_id = positive_points.decay_rule_id
where periods.inactive_periods > 0 and positive_points.remaining_points > 0
