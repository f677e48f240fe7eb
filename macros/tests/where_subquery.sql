{#
    Filter for data tests with a `where` config. A test whose where is
    `__this_run__` checks only the rows the current run wrote (processed_at), so an
    incremental build tests its new rows instead of the whole table. A full refresh
    writes every row, so there the test still covers the whole table. The run's
    start time is known only when the test runs, not when the YAML is parsed.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace(
            '__this_run__',
            'processed_at = ' ~ lead_scoring.run_timestamp()
        ) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
