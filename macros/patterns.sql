{#
    Turn a '*' wildcard pattern into a LIKE pattern. LIKE's own wildcards are escaped
    with '!' because a backslash means different things in different engines' literals.
#}
{% macro wildcard_to_like(pattern) -%}
    replace(replace(replace(replace({{ pattern }},
        '!', '!!'), '%', '!%'), '_', '!_'), '*', '%')
{%- endmacro %}

{# True when text matches a '*' wildcard pattern; both sides are already lower case. #}
{% macro wildcard_matches(text, pattern) -%}
    {{ text }} like {{ lead_scoring.wildcard_to_like(pattern) }} escape '!'
{%- endmacro %}

{#
    Specificity of a pattern for picking one rule among several matches: an exact
    pattern ranks above any wildcard, because the person who wrote it named this one
    value; among wildcards the longer literal part names fewer values and wins.
    Sort descending.
#}
{% macro pattern_specificity(pattern) -%}
    case
        when {{ dbt.position("'*'", pattern) }} = 0 then 1000000
        else {{ dbt.length(dbt.replace(pattern, "'*'", "''")) }}
    end
{%- endmacro %}

{#
    Normalise the part of a URL before its query string for rule matching: lower case,
    no scheme, no fragment, no trailing slash.
#}
{% macro normalize_url_base(url) -%}
    {%- set lowered = 'lower(trim(' ~ url ~ '))' -%}
    {%- set no_fragment = dbt.split_part(lowered, "'#'", 1) -%}
    {%- set no_query = dbt.split_part(no_fragment, "'?'", 1) -%}
    {%- set no_scheme = lead_scoring.regex_replace(
        no_query, "'^[a-z][a-z0-9+.-]*://'", "''") -%}
    {{ lead_scoring.regex_replace(no_scheme, "'/+$'", "''") }}
{%- endmacro %}

{# The query string of a URL in lower case, without '?' or fragment; null when absent. #}
{% macro url_query(url) -%}
    {%- set lowered = 'lower(trim(' ~ url ~ '))' -%}
    {%- set no_fragment = dbt.split_part(lowered, "'#'", 1) -%}
    case
        when {{ dbt.position("'?'", no_fragment) }} > 0
            then nullif({{ dbt.split_part(no_fragment, "'?'", 2) }}, '')
    end
{%- endmacro %}
