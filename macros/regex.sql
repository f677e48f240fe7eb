{# Regular expressions differ by engine; these are the only places that know how. #}

{% macro regex_replace(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace', 'lead_scoring')(
        expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro duckdb__regex_replace(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{# Case-insensitive search for a pattern anywhere in the text. #}
{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'lead_scoring')(
        expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expression, pattern) -%}
    ({{ expression }} rlike concat('(?i)', {{ pattern }}))
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, {{ pattern }}, 'i')
{%- endmacro %}

{# True when the text is a valid regular expression; engines without a safe test say true. #}
{% macro regex_is_valid(pattern) -%}
    {{ return(adapter.dispatch('regex_is_valid', 'lead_scoring')(pattern)) }}
{%- endmacro %}

{% macro default__regex_is_valid(pattern) -%}
    true
{%- endmacro %}

{% macro duckdb__regex_is_valid(pattern) -%}
    (try(regexp_matches('', {{ pattern }})) is not null)
{%- endmacro %}
