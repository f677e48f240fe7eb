{#
    Incremental strategy per engine. DuckDB replaces rows by key (delete+insert); engines
    that can only overwrite partitions (Spark on plain Parquet) overwrite the affected
    partitions instead; the warehouses dbt supports otherwise merge.
#}
{% macro incremental_strategy() -%}
    {{ return(adapter.dispatch('incremental_strategy', 'lead_scoring')()) }}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{% macro duckdb__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{# The date scores are computed for: the as_of_date variable, else today (UTC). #}
{% macro as_of_date() -%}
    {%- set chosen = var('as_of_date', '') -%}
    {%- if chosen -%}
        cast('{{ chosen }}' as date)
    {%- else -%}
        cast({{ dbt.current_timestamp() }} as date)
    {%- endif -%}
{%- endmacro %}

{# When this dbt invocation started (UTC), the same in every model of the run. #}
{% macro run_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
