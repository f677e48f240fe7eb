{{ config(materialized='table') }}

{#
    Every fact about a lead that a rule can test, as (lead, attribute, value) rows:
    the contract's fit fields, the fields of the lead's account (prefixed account_),
    the email domain, and any custom attribute. A missing value has no row, so
    operators see it as missing. A table, not a view: three models join it per lead
    and rule, and a view would repeat the ranking for each.
#}
{%- set lead_fields = [
    'job_title', 'department', 'country', 'industry', 'company_size',
    'annual_revenue', 'lead_source', 'account_id'
] -%}
{%- set account_fields = [
    'industry', 'employee_count', 'annual_revenue', 'country', 'domain'
] -%}

with

leads as (

    select * from {{ ref('stg_leads') }}

),

accounts as (

    select * from {{ ref('stg_accounts') }}

),

custom_attributes as (

    select * from {{ source('raw', 'lead_attributes') }}

),

contract_fields as (

    {% for field in lead_fields %}
        select
            lead_id,
            '{{ field }}' as attribute,
            {{ field }} as value
        from leads
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

    union all

    select
        lead_id,
        'email_domain' as attribute,
        {{ dbt.split_part('email', "'@'", 2) }} as value
    from leads
    where email like '%@%'

),

account_fields as (

    {% for field in account_fields %}
        select
            leads.lead_id,
            'account_{{ field }}' as attribute,
            accounts.{{ field }} as value
        from leads
        inner join accounts on leads.account_id = accounts.account_id
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

custom_fields as (

    select
        {{ lead_scoring.clean_text('lead_id') }} as lead_id,
        lower({{ lead_scoring.clean_text('attribute') }}) as attribute,
        {{ lead_scoring.clean_text('value') }} as value,
        -- A custom field that repeats a contract name overrides the contract
        -- field.
        0 as source_rank
    from custom_attributes

),

all_fields as (

    select
        lead_id,
        attribute,
        value,
        1 as source_rank
    from contract_fields

    union all

    select
        lead_id,
        attribute,
        value,
        1 as source_rank
    from account_fields

    union all

    select * from custom_fields

),

ranked as (

    select
        *,
        row_number() over (
            partition by lead_id, attribute order by source_rank, value
        ) as value_rank
    from all_fields
    where lead_id is not null and attribute is not null and value is not null

)

select
    lead_id,
    attribute,
    value
from ranked
where value_rank = 1
