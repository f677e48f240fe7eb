{{
    config(
        materialized='incremental',
        incremental_strategy=lead_scoring.replaced_rows_strategy(),
        on_schema_change='fail',
        pre_hook='{{ lead_scoring.delete_replaced_quarantine(this) }}'
    )
}}

{#
    One row per source row that broke the data contract, with the reason. Nothing is
    dropped silently: what the staging models reject, what an importer could not read,
    re-delivered events, and events held back because their lead is not known yet.

    When only activity changed since the last build (rescores_changed_leads()), the
    rows of leads, attributes and accounts cannot change, and neither can the held
    events already listed: the run replaces the importer's rows, the conversions, and
    the activity rows int_activity_rejects replaced, and adds the events it kept for
    leads not known yet. Any other build lists every row again.
#}

{%- set changed_only = lead_scoring.rescores_changed_leads() %}
{%- if changed_only %}
    {%- set watermark = lead_scoring.reread_rejects_watermark() %}
{%- endif %}

with

raw_leads as (

    select * from {{ ref('stg_raw__leads') }}

),

activity_rejects as (

    select * from {{ ref('int_activity_rejects') }}
    {% if changed_only -%}
        -- The rows int_activity_rejects replaced in this run.
        where loaded_at is null or loaded_at >= {{ watermark.sql }}
    {%- endif %}

),

kept_activities as (

    select * from {{ ref('int_activities') }}
    {% if changed_only -%}
        where processed_at = {{ lead_scoring.run_timestamp() }}
    {%- endif %}

),

conversions as (

    select * from {{ ref('stg_conversions') }}

),

leads as (

    select lead_id from {{ ref('stg_leads') }}

),

load_rejects as (

    select * from {{ source('raw', 'load_rejects') }}

),

raw_accounts as (

    select * from {{ source('raw', 'accounts') }}

),

raw_attributes as (

    select * from {{ source('raw', 'lead_attributes') }}

),

ranked_accounts as (

    select
        {{ lead_scoring.clean_text('account_id') }} as account_id,
        {{ lead_scoring.clean_text('name') }} as account_name,
        row_number() over (
            partition by {{ lead_scoring.clean_text('account_id') }}
            order by
                {{ lead_scoring.clean_text('name') }},
                lower({{ lead_scoring.clean_text('domain') }})
        ) as account_rank
    from raw_accounts

),

rejected_accounts as (

    select
        'accounts' as source_table,
        'rejected' as kind,
        account_id as record_id,
        case
            when account_id is null then 'missing account_id'
            else 'duplicate account_id (first row by name kept)'
        end as reason,
        coalesce(account_name, '') as record,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from ranked_accounts
    where account_id is null or account_rank > 1

),

rejected_attributes as (

    select
        'lead_attributes' as source_table,
        'rejected' as kind,
        {{ lead_scoring.clean_text('lead_id') }} as record_id,
        case
            when {{ lead_scoring.clean_text('lead_id') }} is null
                then 'missing lead_id'
            else 'missing attribute name'
        end as reason,
        {{ dbt.concat([
            "coalesce(" ~ lead_scoring.clean_text('attribute') ~ ", '')", "'='",
            "coalesce(" ~ lead_scoring.clean_text('value') ~ ", '')"
        ]) }} as record,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from raw_attributes
    where
        {{ lead_scoring.clean_text('lead_id') }} is null
        or {{ lead_scoring.clean_text('attribute') }} is null

),

rejected_leads as (

    select
        'leads' as source_table,
        'rejected' as kind,
        lead_id as record_id,
        rejection_reason as reason,
        {{ dbt.concat([
            "coalesce(email, '')", "' '",
            "coalesce(" ~ dbt.cast('created_at', dbt.type_string()) ~ ", '')"
        ]) }} as record,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from raw_leads
    where rejection_reason is not null

),

rejected_activities as (

    -- Rows that break the contract and every delivery of an event but the
    -- first, which int_activities keeps.
    select
        'activities' as source_table,
        'rejected' as kind,
        event_id as record_id,
        reason,
        {{ dbt.concat([
            "coalesce(activity_type, '')", "' at '",
            "coalesce(occurred_at_text, '')"
        ]) }} as record,
        loaded_at
    from activity_rejects

),

unknown_lead_activities as (

    -- Held, not lost: they score as soon as the lead arrives.
    select
        'activities' as source_table,
        'held' as kind,
        kept_activities.event_id as record_id,
        'lead_id not found in leads (held until the lead arrives)' as reason,
        {{ dbt.concat([
            "kept_activities.activity_type", "' for lead '",
            "kept_activities.lead_id"
        ]) }} as record,
        kept_activities.loaded_at
    from kept_activities
    left join leads on kept_activities.lead_id = leads.lead_id
    where kept_activities.lead_id is not null and leads.lead_id is null

),

unknown_lead_conversions as (

    select
        'conversions' as source_table,
        'held' as kind,
        conversions.lead_id as record_id,
        'lead_id not found in leads (held until the lead arrives)' as reason,
        {{ dbt.concat([
            "coalesce(conversions.conversion_type, '')", "' '",
            "coalesce(" ~ dbt.cast('conversions.converted_at', dbt.type_string())
            ~ ", '')"
        ]) }} as record,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from conversions
    left join leads on conversions.lead_id = leads.lead_id
    where conversions.rejection_reason is null and leads.lead_id is null

),

attribute_keys as (

    select
        {{ lead_scoring.clean_text('lead_id') }} as lead_id,
        {{ lead_scoring.clean_text('attribute') }} as attribute,
        {{ lead_scoring.clean_text('value') }} as value
    from raw_attributes

),

unknown_lead_attributes as (

    select
        'lead_attributes' as source_table,
        'held' as kind,
        attribute_keys.lead_id as record_id,
        'lead_id not found in leads (held until the lead arrives)' as reason,
        {{ dbt.concat([
            "attribute_keys.attribute", "'='",
            "coalesce(attribute_keys.value, '')"
        ]) }} as record,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from attribute_keys
    left join leads on attribute_keys.lead_id = leads.lead_id
    where
        attribute_keys.lead_id is not null
        and attribute_keys.attribute is not null
        and leads.lead_id is null

),

rejected_conversions as (

    select
        'conversions' as source_table,
        'rejected' as kind,
        lead_id as record_id,
        rejection_reason as reason,
        {{ dbt.concat([
            "coalesce(conversion_type, '')", "' '",
            "coalesce(" ~ dbt.cast('converted_at', dbt.type_string()) ~ ", '')"
        ]) }} as record,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from conversions
    where rejection_reason is not null

),

importer_rejects as (

    select
        target_table as source_table,
        'import' as kind,
        {{ dbt.concat(['source_file', "':'", 'line_number']) }} as record_id,
        reason,
        raw_line as record,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from load_rejects

)

{%- set parts = [
    'rejected_activities', 'unknown_lead_activities', 'unknown_lead_conversions',
    'rejected_conversions', 'importer_rejects'
] %}
{%- if not changed_only %}
    {%- set parts = parts + [
        'rejected_leads', 'unknown_lead_attributes', 'rejected_accounts',
        'rejected_attributes'
    ] %}
{%- endif %}

{% for part in parts -%}
    select * from {{ part }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
