{%- set daily_rule_types = ['activity', 'page'] -%}
{{ lead_scoring.rescored_by_lead_config(
    'ledger_id', daily_rule_types=daily_rule_types
) }}

{#
    Every point awarded or withheld, one row per lead, rule and day. For each row
    points = raw_points - withheld_bot - withheld_first_time - withheld_cap
             - decayed_points - withheld_limit,
    and a lead's points add up exactly to its published score.

    Incremental by lead: see rescores_changed_leads() in macros/incremental_scope.sql.
    The activity and page rows of a recomputed lead are replaced from its first changed
    day on, like the rows of int_activity_points_decayed they copy; its other rows
    depend on all its points and are all replaced.
#}

-- depends_on: {{ ref('int_affected_leads') }}

with

activity_points as (

    select * from {{ ref('int_activity_points_decayed') }}
    where {{ lead_scoring.is_rescored_lead('lead_id') }}

),

inactivity_decay as (

    select * from {{ ref('int_inactivity_decay') }}
    where {{ lead_scoring.is_rescored_lead('lead_id') }}

),

metric_points as (

    select * from {{ ref('int_metric_points') }}
    where is_match and {{ lead_scoring.is_rescored_lead('lead_id') }}

),

property_points as (

    select * from {{ ref('int_property_points') }}
    where is_match and {{ lead_scoring.is_rescored_lead('lead_id') }}

),

score_limits as (

    select * from {{ ref('stg_rules__score_limits') }}

),

{%- set zero = 'cast(0 as ' ~ lead_scoring.type_points() ~ ')' %}

entries as (

    select
        lead_id,
        rule_id,
        rule_type,
        category,
        activity_date,
        events,
        raw_points,
        withheld_bot,
        withheld_first_time,
        withheld_cap,
        decayed_points
    from activity_points

    union all

    select
        lead_id,
        rule_id,
        'decay' as rule_type,
        category,
        activity_date,
        0 as events,
        {{ zero }} as raw_points,
        {{ zero }} as withheld_bot,
        {{ zero }} as withheld_first_time,
        {{ zero }} as withheld_cap,
        decayed_points
    from inactivity_decay

    union all

    select
        lead_id,
        rule_id,
        'metric' as rule_type,
        category,
        activity_date,
        0 as events,
        points as raw_points,
        {{ zero }} as withheld_bot,
        {{ zero }} as withheld_first_time,
        {{ zero }} as withheld_cap,
        {{ zero }} as decayed_points
    from metric_points

    union all

    select
        lead_id,
        rule_id,
        'property' as rule_type,
        category,
        activity_date,
        0 as events,
        points as raw_points,
        {{ zero }} as withheld_bot,
        {{ zero }} as withheld_first_time,
        {{ zero }} as withheld_cap,
        {{ zero }} as decayed_points
    from property_points

),

with_points as (

    select
        *,
        {{ zero }} as withheld_limit,
        raw_points - withheld_bot - withheld_first_time - withheld_cap
        - decayed_points as points
    from entries

),

category_totals as (

    select
        lead_id,
        category,
        sum(points) as points
    from with_points
    group by lead_id, category

),

category_limits as (

    -- A category over its maximum gives back the excess in one limit row.
    select
        category_totals.lead_id,
        score_limits.rule_id,
        category_totals.category,
        category_totals.points - score_limits.max_points as excess
    from category_totals
    inner join score_limits
        on category_totals.category = score_limits.category
    where category_totals.points > score_limits.max_points

),

lead_category_excess as (

    select
        lead_id,
        sum(excess) as excess
    from category_limits
    group by lead_id

),

lead_totals as (

    select
        category_totals.lead_id,
        sum(category_totals.points)
        - coalesce(max(lead_category_excess.excess), 0) as points
    from category_totals
    left join lead_category_excess
        on category_totals.lead_id = lead_category_excess.lead_id
    group by category_totals.lead_id

),

total_limits as (

    -- The total limit applies after the category limits.
    select
        lead_totals.lead_id,
        score_limits.rule_id,
        'total' as category,
        lead_totals.points - score_limits.max_points as excess
    from lead_totals
    inner join score_limits on score_limits.category = '*'
    where lead_totals.points > score_limits.max_points

),

limit_entries as (

    select * from category_limits
    union all
    select * from total_limits

),

final as (

    select
        lead_id,
        rule_id,
        rule_type,
        category,
        activity_date,
        events,
        raw_points,
        withheld_bot,
        withheld_first_time,
        withheld_cap,
        decayed_points,
        withheld_limit,
        points
    from with_points

    union all

    select
        lead_id,
        rule_id,
        'limit' as rule_type,
        category,
        {{ lead_scoring.as_of_date() }} as activity_date,
        0 as events,
        {{ zero }} as raw_points,
        {{ zero }} as withheld_bot,
        {{ zero }} as withheld_first_time,
        {{ zero }} as withheld_cap,
        {{ zero }} as decayed_points,
        cast(excess as {{ lead_scoring.type_points() }}) as withheld_limit,
        cast(-excess as {{ lead_scoring.type_points() }}) as points
    from limit_entries

),

replaced as (

    select final.*
    from final
    {% if lead_scoring.rescores_changed_leads() -%}
        -- Every lead with rows here is in int_affected_leads, once.
        inner join {{ ref('int_affected_leads') }} as affected
            on final.lead_id = affected.lead_id
        where
            final.rule_type not in ('{{ daily_rule_types | join("', '") }}')
            or final.activity_date >= affected.from_date
    {%- endif %}

)

select
    {{ dbt.concat(['lead_id', "'|'", 'rule_id', "'|'",
        dbt.cast('activity_date', dbt.type_string())]) }} as ledger_id,
    lead_id,
    rule_id,
    rule_type,
    category,
    events,
    raw_points,
    withheld_bot,
    withheld_first_time,
    withheld_cap,
    decayed_points,
    withheld_limit,
    points,
    activity_date,
    {{ lead_scoring.as_of_date() }} as as_of_date
from replaced
