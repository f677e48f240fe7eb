with

source as (

    select * from {{ source('raw', 'conversions') }}

),

typed as (

    select
        {{ lead_scoring.clean_text('lead_id') }} as lead_id,
        lower({{ lead_scoring.clean_text('conversion_type') }})
            as conversion_type,
        {{ lead_scoring.parse_number('amount') }} as amount,
        {{ lead_scoring.parse_timestamp('converted_at') }} as converted_at,
        {{ lead_scoring.clean_text('converted_at') }} as converted_at_text,
        {{ lead_scoring.clean_text('amount') }} as amount_text
    from source

),

checked as (

    select
        *,
        case
            when lead_id is null then 'missing lead_id'
            when converted_at_text is not null and converted_at is null
                then 'unparseable converted_at'
            -- NaN and infinity parse as numbers but are not amounts.
            when
                amount_text is not null
                and not coalesce(amount > -1e15 and amount < 1e15, false)
                then 'amount is not a number'
        end as rejection_reason
    from typed

)

select
    lead_id,
    conversion_type,
    amount,
    converted_at,
    rejection_reason
from checked
