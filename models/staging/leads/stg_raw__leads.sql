with

source as (

    select * from {{ source('raw', 'leads') }}

),

typed as (

    select
        -- ids
        {{ lead_scoring.clean_text('lead_id') }} as lead_id,
        {{ lead_scoring.clean_text('account_id') }} as account_id,

        -- text
        lower({{ lead_scoring.clean_text('email') }}) as email,
        lower({{ lead_scoring.clean_text('owner_email') }}) as owner_email,
        {{ lead_scoring.clean_text('job_title') }} as job_title,
        {{ lead_scoring.clean_text('department') }} as department,
        {{ lead_scoring.clean_text('country') }} as country,
        {{ lead_scoring.clean_text('industry') }} as industry,
        {{ lead_scoring.clean_text('company_size') }} as company_size,
        {{ lead_scoring.clean_text('annual_revenue') }} as annual_revenue,
        {{ lead_scoring.clean_text('lead_source') }} as lead_source,

        -- timestamps
        {{ lead_scoring.parse_timestamp('created_at') }} as created_at,
        {{ lead_scoring.parse_timestamp('updated_at') }} as updated_at,
        {{ lead_scoring.clean_text('created_at') }} as created_at_text,
        {{ lead_scoring.clean_text('updated_at') }} as updated_at_text

    from source

),

checked as (

    select
        *,
        case
            when lead_id is null then 'missing lead_id'
            when created_at_text is not null and created_at is null
                then 'unparseable created_at'
            when updated_at_text is not null and updated_at is null
                then 'unparseable updated_at'
        end as rejection_reason
    from typed

),

ranked as (

    select
        *,
        -- The CRM exports every version of a lead; the latest update is the
        -- lead.
        row_number() over (
            partition by lead_id
            order by
                updated_at desc nulls last, created_at desc nulls last,
                email asc, account_id asc
        ) as version_rank
    from checked
    where rejection_reason is null

),

final as (

    select
        lead_id,
        account_id,
        email,
        owner_email,
        job_title,
        department,
        country,
        industry,
        company_size,
        annual_revenue,
        lead_source,
        created_at,
        updated_at,
        cast(null as {{ dbt.type_string() }}) as rejection_reason,
        version_rank
    from ranked

    union all

    select
        lead_id,
        account_id,
        email,
        owner_email,
        job_title,
        department,
        country,
        industry,
        company_size,
        annual_revenue,
        lead_source,
        created_at,
        updated_at,
        rejection_reason,
        cast(null as {{ dbt.type_int() }}) as version_rank
    from checked
    where rejection_reason is not null

)

select * from final
