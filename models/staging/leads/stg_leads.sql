{{ config(materialized='table') }}

{#
    The latest valid version of each lead. A table, not a view: the lead-level models,
    the quarantine and the relationship tests each read it, and a view would parse and
    rank every raw lead row for each of them (about 0.7 s each at 330k leads).
#}

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
