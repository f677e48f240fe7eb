with

leads as (

    select * from {{ ref('stg_raw__leads') }}

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
        updated_at
    from leads
    where rejection_reason is null and version_rank = 1

)

select * from final
