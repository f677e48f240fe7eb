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
    {#
        Offsets such as +02:00 are converted to UTC before the zone is dropped. The
        instant goes through microseconds since the epoch, which is plain arithmetic,
        where AT TIME ZONE looks up the zone for every row. The value is cast as it
        comes first, since the cast itself ignores surrounding spaces and trimming
        millions of strings costs more than the cast; the cleaned text is the fallback.

        Values naming a zone (Europe/Berlin, EST: two letters in a row) are cast apart
        from the others. DuckDB 1.5's cast carries a zone name over to the values after
        it in the same batch, and a time without a zone would be read in that zone.
    #}
    {%- set parsed -%}
        coalesce(
            make_timestamp(epoch_us(try_cast({{ column }} as timestamptz))),
            make_timestamp(epoch_us(
                try_cast({{ lead_scoring.clean_text(column) }} as timestamptz)
            )),
            try_cast({{ lead_scoring.clean_text(column) }} as timestamp)
        )
    {%- endset %}
    case
        when regexp_matches({{ column }}, '[A-Za-z]{2}') then {{ parsed }}
        else {{ parsed }}
    end
{%- endmacro %}

{#
    A cheap test that holds for every text in `column` that parse_timestamp() reads as an
    instant at or after `instant` (a Python datetime), and for most earlier ones too.
    Scans of millions of raw rows apply it before parsing, which costs far more. Engines
    without a fast form get `true`: every row is parsed.
#}
{% macro may_parse_at_or_after(column, instant) -%}
    {{ return(adapter.dispatch('may_parse_at_or_after', 'lead_scoring')(column, instant)) }}
{%- endmacro %}

{% macro default__may_parse_at_or_after(column, instant) -%}
    true
{%- endmacro %}

{% macro duckdb__may_parse_at_or_after(column, instant) -%}
    {#
        A text that starts with a date, YYYY-MM-DD, parses to a time on that date, moved
        by its offset: DuckDB reads offsets of up to 99:99 hours, so at most about five
        days later. Such a text that sorts before the date a week before the instant
        therefore parses to an earlier instant, or to nothing. Texts of any other shape
        (spaces first, five-digit years, "infinity") pass, and so does a null. The
        null test is spelled out: wrapped in coalesce(), the same test took 0.5 s
        instead of 0.38 s over 10M rows.
    #}
    {%- set bound = (instant.date() - modules.datetime.timedelta(days=7)).isoformat() -%}
    (
        {{ column }} is null
        or {{ column }} >= '{{ bound }}'
        or not ({{ column }} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*')
    )
{%- endmacro %}

{#
    True where parse_timestamp() gives null, in a form that costs less than parsing:
    DuckDB's cast reads a zone name (see duckdb__parse_timestamp) into the time of the
    values after it, which changes the instant but not whether there is one.
#}
{% macro is_unparseable_timestamp(column) -%}
    {{ return(adapter.dispatch('is_unparseable_timestamp', 'lead_scoring')(column)) }}
{%- endmacro %}

{% macro default__is_unparseable_timestamp(column) -%}
    {{ lead_scoring.parse_timestamp(column) }} is null
{%- endmacro %}

{% macro duckdb__is_unparseable_timestamp(column) -%}
    coalesce(
        try_cast({{ column }} as timestamptz),
        try_cast({{ lead_scoring.clean_text(column) }} as timestamptz),
        try_cast({{ lead_scoring.clean_text(column) }} as timestamp)
    ) is null
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

{#
    Points: exact decimals with hundredths, since decay and limits leave fractions and
    the ledger must add up to the cent. dbt.type_numeric() renders numeric(28,6), which
    DuckDB stores as 128-bit integers; scanning those is several times slower than the
    64-bit integers behind decimal(18,6), and the ledger tables are scanned by every model
    and test after them. 18 digits with 6 decimals hold up to 999,999,999,999 points.
#}
{% macro type_points() -%}
    {{ return(adapter.dispatch('type_points', 'lead_scoring')()) }}
{%- endmacro %}

{% macro default__type_points() -%}
    {{ return(dbt.type_numeric()) }}
{%- endmacro %}

{% macro duckdb__type_points() -%}
    {{ return('decimal(18, 6)') }}
{%- endmacro %}
