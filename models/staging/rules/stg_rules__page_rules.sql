with

page_rules as (

    select * from {{ ref('page_rules') }}
    where is_active

),

without_scheme as (

    select
        *,
        {{ lead_scoring.regex_replace(
            'lower(trim(url_pattern))', "'^[a-z][a-z0-9+.-]*://'", "''") }}
            as pattern_text
    from page_rules

),

normalized as (

    select
        rule_id,
        description,
        points,
        coalesce(is_priority, false) as is_priority,
        coalesce(lower(nullif(trim(category), '')), 'general') as category,
        -- A pattern that starts with '/' names a path on any host.
        pattern_text like '/%' as is_path_pattern,
        {{ lead_scoring.normalize_url_base('pattern_text') }} as pattern_base,
        {{ lead_scoring.url_query('pattern_text') }} as pattern_query
    from without_scheme

)

select
    *,
    case
        when pattern_query is null then pattern_base
        else concat(pattern_base, '?', pattern_query)
    end as pattern,
    {{ lead_scoring.pattern_specificity(
        "case when pattern_query is null then pattern_base "
        ~ "else concat(pattern_base, '?', pattern_query) end") }} as specificity
from normalized
