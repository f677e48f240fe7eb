{# Trim a text column and turn blanks into nulls: a blank cell means "not answered". #}
{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{# Parse a text column as a UTC timestamp; an unparseable value becomes null. #}
{% macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'lead_scoring')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamp(column) -%}
    {{ lead_scoring.safe_cast(lead_scoring.clean_text(column), dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(column) -%}
    {# Offsets such as +02:00 are converted to UTC before the zone is dropped. #}
    coalesce(
        try_cast(try_cast({{ lead_scoring.clean_text(column) }} as timestamptz)
            at time zone 'UTC' as timestamp),
        try_cast({{ lead_scoring.clean_text(column) }} as timestamp)
    )
{%- endmacro %}

{# Parse a text column as a number; anything that is not a number becomes null. #}
{% macro parse_number(column) -%}
    {{ lead_scoring.safe_cast(lead_scoring.clean_text(column), lead_scoring.type_double()) }}
{%- endmacro %}

{#
    Cast that yields null instead of failing on an unconvertible value. dbt.safe_cast
    falls back to a plain cast on engines where dbt has no safe form (dbt-duckdb 1.11
    among them), and a plain cast aborts the whole query on one bad value.
#}
{% macro safe_cast(field, type) -%}
    {{ return(adapter.dispatch('safe_cast', 'lead_scoring')(field, type)) }}
{%- endmacro %}

{% macro default__safe_cast(field, type) -%}
    {{ dbt.safe_cast(field, type) }}
{%- endmacro %}

{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#
    Double-precision floating point. dbt.type_float() renders 'float', which DuckDB
    reads as a 4-byte real: too coarse for AUC or conversion rates.
#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'lead_scoring')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ return(dbt.type_float()) }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    {{ return('double') }}
{%- endmacro %}
