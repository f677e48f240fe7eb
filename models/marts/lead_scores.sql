{{ lead_scoring.rescored_by_lead_config('lead_id') }}

{#
    One row per known lead: the published score (the sum of its ledger), last activity
    and priority-page activity. Leads without any points score 0. Incremental by
    lead: see rescores_changed_leads() in macros/incremental_scope.sql.
#}

-- depends_on: {{ ref('int_affected_leads') }}

with

leads as (

    select * from {{ ref('stg_leads') }}
    where {{ lead_scoring.is_rescored_lead('lead_id') }}

),

ledger as (

    select * from {{ ref('score_ledger') }}
    where {{ lead_scoring.is_rescored_lead('lead_id') }}

),

engagement as (

    select * from {{ ref('int_engagement_daily') }}
    where
        activity_date <= {{ lead_scoring.as_of_date() }}
        and {{ lead_scoring.is_rescored_lead('lead_id') }}

),


lead_points as (

    select
        lead_id,
        sum(points) as score,
        sum(raw_points) as raw_points,
        sum(
            withheld_bot + withheld_first_time + withheld_cap + withheld_limit
        ) as withheld_points,
        sum(decayed_points) as decayed_points
    from ledger
    group by lead_id

),

lead_engagement as (

    select
        lead_id,
        max(activity_date) as last_activity_date,
        sum(priority_page_views) as priority_page_views,
        max(
            case when priority_page_views > 0 then activity_date end
        ) as last_priority_page_date
    from engagement
    group by lead_id

),

final as (

    select
        leads.lead_id,
        {%- set points_type = lead_scoring.type_points() %}
        cast(coalesce(lead_points.score, 0) as {{ points_type }}) as score,
        cast(coalesce(lead_points.raw_points, 0) as {{ points_type }})
            as raw_points,
        cast(coalesce(lead_points.withheld_points, 0) as {{ points_type }})
            as withheld_points,
        cast(coalesce(lead_points.decayed_points, 0) as {{ points_type }})
            as decayed_points,
        cast(
            coalesce(lead_engagement.priority_page_views, 0)
            as {{ dbt.type_bigint() }}
        ) as priority_page_views,
        lead_engagement.last_activity_date,
        lead_engagement.last_priority_page_date,
        {{ lead_scoring.as_of_date() }} as as_of_date
    from leads
    left join lead_points on leads.lead_id = lead_points.lead_id
    left join lead_engagement on leads.lead_id = lead_engagement.lead_id

)

select * from final
