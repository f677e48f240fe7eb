{#
    One row per source row that broke the data contract, with the reason. Nothing is
    dropped silently: what the staging models reject, what an importer could not read,
    re-delivered events, and events held back because their lead is not known yet.
#}

with

raw_leads as (

    select * from {{ ref('stg_raw__leads') }}

),

activity_rejects as (

    select * from {{ ref('int_activity_rejects') }}

),

kept_activities as (

    select * from {{ ref('int_activities') }}

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
        {{ dbt.concat(['source_file', "':'", 'line_number']) }} as record_id,
        reason,
        raw_line as record,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from load_rejects

)

select * from rejected_leads
union all
select * from rejected_activities
union all
select * from unknown_lead_activities
union all
select * from unknown_lead_conversions
union all
select * from unknown_lead_attributes
union all
select * from rejected_conversions
union all
select * from rejected_accounts
union all
select * from rejected_attributes
union all
select * from importer_rejects
