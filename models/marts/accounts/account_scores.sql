{#
    One row per account: engagement and fit of its buying group. Several people decide
    a B2B purchase, so the account's score adds up only its best few contacts (the
    account_top_contacts variable): five engaged contacts outweigh one hyperactive
    intern. Fit is the best grade among the contacts. The stage is the first account
    stage whose score, engaged-contact and grade bounds the account meets.
#}

with

accounts as (

    select * from {{ ref('stg_accounts') }}

),

qualification as (

    select * from {{ ref('lead_qualification') }}

),

leads as (

    select * from {{ ref('stg_leads') }}

),

account_stages as (

    select * from {{ ref('stg_rules__account_stages') }}

),

contacts as (

    select
        qualification.account_id,
        qualification.lead_id,
        qualification.score,
        qualification.grade_step,
        leads.department,
        qualification.score >= {{ var('engaged_contact_min_score') }}
            as is_engaged,
        row_number() over (
            partition by qualification.account_id
            order by qualification.score desc, qualification.lead_id asc
        ) as score_rank
    from qualification
    inner join leads on qualification.lead_id = leads.lead_id
    where qualification.account_id is not null

),

departments as (

    select
        account_id,
        {{ dbt.listagg('department', "', '", 'order by department') }}
            as engaged_departments,
        count(*) as engaged_department_count
    from (
        select distinct
            account_id,
            lower(department) as department
        from contacts
        where is_engaged and department is not null
    ) as engaged
    group by account_id

),

rolled_up as (

    select
        account_id,
        count(*) as contacts,
        cast(
            sum(case when is_engaged then 1 else 0 end)
            as {{ dbt.type_bigint() }}
        ) as engaged_contacts,
        cast(
            sum(
                case
                    when score_rank <= {{ var('account_top_contacts') }}
                        then score
                    else 0
                end
            ) as {{ lead_scoring.type_points() }}
        ) as score,
        max(score) as best_contact_score,
        max(grade_step) as best_grade_step
    from contacts
    group by account_id

),

scored as (

    select
        rolled_up.account_id,
        accounts.account_name,
        accounts.domain,
        rolled_up.contacts,
        rolled_up.engaged_contacts,
        coalesce(departments.engaged_department_count, 0)
            as engaged_department_count,
        departments.engaged_departments,
        rolled_up.score,
        rolled_up.best_contact_score,
        rolled_up.best_grade_step,
        {{ lead_scoring.grade_letter('rolled_up.best_grade_step') }}
            as best_grade
    from rolled_up
    left join accounts on rolled_up.account_id = accounts.account_id
    left join departments on rolled_up.account_id = departments.account_id

),

staged as (

    select
        scored.account_id,
        account_stages.stage,
        row_number() over (
            partition by scored.account_id
            order by account_stages.stage_order, account_stages.rule_id
        ) as stage_rank
    from scored
    inner join account_stages
        on
            (
                account_stages.min_score is null
                or scored.score >= account_stages.min_score
            )
            and (
                account_stages.min_engaged_contacts is null
                or scored.engaged_contacts
                >= account_stages.min_engaged_contacts
            )
            and (
                account_stages.min_grade_step is null
                or scored.best_grade_step >= account_stages.min_grade_step
            )

)

select
    scored.*,
    staged.stage,
    {{ lead_scoring.as_of_date() }} as as_of_date
from scored
left join staged
    on scored.account_id = staged.account_id and staged.stage_rank = 1
