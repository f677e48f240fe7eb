{#
    Filter for data tests with a `where` config. Two placeholders stand for filters
    that are known only when the test runs, not when the YAML is parsed:

    - `__this_run__` checks only the rows the current run wrote (processed_at), so an
      incremental build tests its new rows instead of the whole table. A full refresh
      writes every row, so there the test still covers the whole table.
    - `__rescored_leads__`, on a test of a lead-level table that checks each lead's rows
      on their own (a uniqueness test of a key that holds the lead, a relationship from
      lead_id), checks only the leads of int_affected_leads when the build recomputed
      those alone (rescores_changed_leads()). The rows of the other leads are the ones
      the last build published after this test passed. Otherwise the test covers the
      whole table.
    - `__events_of_this_run__`, on the uniqueness test of event_id, checks the event ids
      the current run wrote, with every row that holds one of them: a duplicate an
      incremental run brings has at least one row of that run. A full refresh writes
      every row, so there the test covers the whole table without the lookup.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace(
            '__this_run__',
            'processed_at = ' ~ lead_scoring.run_timestamp()
        ) -%}
        {%- if '__events_of_this_run__' in where -%}
            {%- set where = where | replace(
                '__events_of_this_run__', lead_scoring.events_of_this_run_condition(relation)
            ) -%}
        {%- endif -%}
        {%- if '__rescored_leads__' in where -%}
            {%- set where = where | replace(
                '__rescored_leads__', lead_scoring.rescored_leads_condition()) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#
    is_incremental() is false inside a test, and a test may not ref() a model it does not
    read, so the runner's setting and the graph stand in for them.
#}
{% macro rescored_leads_condition() -%}
    {%- if env_var('LEAD_SCORING_RESCORE', 'all') == 'changed' and not flags.FULL_REFRESH
        and execute -%}
        {%- set node = graph.nodes['model.lead_scoring.int_affected_leads'] -%}
        {%- set affected = api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias) -%}
        {{- 'lead_id in (select lead_id from ' ~ affected ~ ')' -}}
    {%- else -%}
        {{- 'true' -}}
    {%- endif -%}
{%- endmacro %}

{# event_id of the rows the current run wrote, or true on a full refresh. #}
{% macro events_of_this_run_condition(relation) -%}
    {%- if flags.FULL_REFRESH -%}
        {{- 'true' -}}
    {%- else -%}
        {{- 'event_id in (select event_id from ' ~ relation ~ ' where processed_at = '
            ~ lead_scoring.run_timestamp() ~ ')' -}}
    {%- endif -%}
{%- endmacro %}
