with

source as (

    select * from {{ source('raw', 'accounts') }}

),

typed as (

    select
        {{ lead_scoring.clean_text('account_id') }} as account_id,
        {{ lead_scoring.clean_text('name') }} as account_name,
        lower({{ lead_scoring.clean_text('domain') }}) as domain,
        {{ lead_scoring.clean_text('industry') }} as industry,
        {{ lead_scoring.clean_text('employee_count') }} as employee_count,
        {{ lead_scoring.clean_text('annual_revenue') }} as annual_revenue,
        {{ lead_scoring.clean_text('country') }} as country
    from source

),

deduplicated as (

    select
        *,
        row_number() over (
            partition by account_id order by account_name, domain
        ) as account_rank
    from typed
    where account_id is not null

)

select
    account_id,
    account_name,
    domain,
    industry,
    employee_count,
    annual_revenue,
    country
from deduplicated
where account_rank = 1
