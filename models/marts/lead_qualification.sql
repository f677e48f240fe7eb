{{ lead_scoring.rescored_by_lead_config('lead_id', recheck_conversions=true) }}

{#
    One row per lead with score, grade, stage, owner and the three rules that
    contributed most: what a BI table or a CRM sync reads. The stage is the first
    qualification stage, in stage order, whose score and grade bounds the lead meets;
    a lead without a grade meets no grade bound.

    Incremental by lead (see rescores_changed_leads() in macros/incremental_scope.sql).
    Conversions can arrive without any activity, so the leads whose conversion status
    changed are recomputed as well: the pre-hook deletes their rows, and every lead
    without a row here is recomputed.
#}

-- depends_on: {{ ref('int_affected_leads') }}

with

leads as (

    select * from {{ ref('stg_leads') }}
    {% if is_incremental() %}
        where lead_id not in (select lead_id from {{ this }})
    {% endif %}

),

scores as (

    select * from {{ ref('lead_scores') }}

),

grades as (

    select * from {{ ref('lead_grades') }}

),

stages as (

    select * from {{ ref('stg_rules__qualification_stages') }}

),

ledger as (

    select * from {{ ref('score_ledger') }}
    {% if is_incremental() %}
        where lead_id in (select lead_id from leads)
    {% endif %}

),

rule_descriptions as (

    {% set rule_tables = [
        'stg_rules__activity_rules', 'stg_rules__page_rules',
        'stg_rules__metric_rules', 'stg_rules__property_rules',
        'stg_rules__decay_rules', 'stg_rules__score_limits'
    ] %}
    {% for rule_table in rule_tables %}
        select
            rule_id,
            description
        from {{ ref(rule_table) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

conversions as (

    {{ lead_scoring.converted_leads() }}

),

scored as (

    select
        leads.lead_id,
        leads.account_id,
        leads.email,
        leads.owner_email,
        grades.profile_id,
        scores.score,
        grades.grade,
        grades.grade_step,
        scores.last_activity_date,
        scores.priority_page_views,
        scores.as_of_date
    from leads
    inner join scores on leads.lead_id = scores.lead_id
    inner join grades on leads.lead_id = grades.lead_id

),

staged as (

    select
        scored.lead_id,
        stages.stage,
        stages.stage_order,
        row_number() over (
            partition by scored.lead_id
            order by stages.stage_order, stages.rule_id
        ) as stage_rank
    from scored
    inner join stages
        on
            (stages.min_score is null or scored.score >= stages.min_score)
            and (stages.max_score is null or scored.score <= stages.max_score)
            and (
                stages.min_grade_step is null
                or scored.grade_step >= stages.min_grade_step
            )
            and (
                stages.max_grade_step is null
                or scored.grade_step <= stages.max_grade_step
            )

),

rule_contributions as (

    select
        ledger.lead_id,
        ledger.rule_id,
        sum(ledger.points) as points
    from ledger
    group by ledger.lead_id, ledger.rule_id

),

ranked_reasons as (

    select
        rule_contributions.lead_id,
        {{ dbt.concat([
            'coalesce(rule_descriptions.description, rule_contributions.rule_id)',
            "' ('",
            "case when rule_contributions.points > 0 then '+' else '' end",
            dbt.cast('round(rule_contributions.points, 1)', dbt.type_string()),
            "')'"
        ]) }} as reason,
        row_number() over (
            partition by rule_contributions.lead_id
            order by
                rule_contributions.points desc, rule_contributions.rule_id asc
        ) as reason_rank
    from rule_contributions
    left join rule_descriptions
        on rule_contributions.rule_id = rule_descriptions.rule_id
    where rule_contributions.points > 0

),

reasons as (

    select
        lead_id,
        max(case when reason_rank = 1 then reason end) as reason_1,
        max(case when reason_rank = 2 then reason end) as reason_2,
        max(case when reason_rank = 3 then reason end) as reason_3
    from ranked_reasons
    where reason_rank <= 3
    group by lead_id

)

select
    -- ids
    scored.lead_id,
    scored.account_id,
    scored.profile_id,

    -- text
    scored.email,
    scored.owner_email,
    scored.grade,
    staged.stage,
    reasons.reason_1,
    reasons.reason_2,
    reasons.reason_3,
    {{ dbt.concat([
        "coalesce(reasons.reason_1, '')",
        "case when reasons.reason_2 is null then '' else '; ' end",
        "coalesce(reasons.reason_2, '')",
        "case when reasons.reason_3 is null then '' else '; ' end",
        "coalesce(reasons.reason_3, '')"
    ]) }} as top_reasons,

    -- numbers
    scored.score,
    scored.grade_step,
    staged.stage_order,
    scored.priority_page_views,

    -- booleans
    conversions.lead_id is not null as is_converted,

    -- dates
    scored.last_activity_date,
    scored.as_of_date
from scored
left join staged on scored.lead_id = staged.lead_id and staged.stage_rank = 1
left join reasons on scored.lead_id = reasons.lead_id
left join conversions on scored.lead_id = conversions.lead_id
