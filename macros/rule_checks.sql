{#
    Problems every rule table can have, as (rule_table, rule_id, problem) rows. The
    rule-table tests union these with their own checks; the command line prints the
    rows so that the person who edited the spreadsheet sees which rule to fix.
#}
{% macro common_rule_problems(rule_table, id_column='rule_id') -%}
    select
        '{{ rule_table }}' as rule_table,
        coalesce({{ id_column }}, '(blank)') as rule_id,
        case
            when nullif(trim({{ id_column }}), '') is null
                then '{{ id_column }} is blank'
            when count(*) over (partition by {{ id_column }}) > 1
                then '{{ id_column }} is used by more than one row'
            when is_active is null then 'is_active must be true or false'
        end as problem
    from {{ ref(rule_table) }}
{%- endmacro %}

{# A problem row for each rule whose `condition` holds. #}
{% macro rule_problem(rule_table, condition, problem, id_column='rule_id') -%}
    select
        '{{ rule_table }}' as rule_table,
        coalesce({{ id_column }}, '(blank)') as rule_id,
        {{ problem }} as problem
    from {{ ref(rule_table) }}
    where {{ condition }}
{%- endmacro %}

{# A problem row for each rule whose operator is not in the shared vocabulary. #}
{% macro unknown_operator_problem(rule_table) -%}
    {{ lead_scoring.rule_problem(
        rule_table,
        "coalesce(lower(trim(operator)), '') not in ('"
        ~ lead_scoring.rule_operators() | join("', '") ~ "')",
        "concat('unknown operator ', coalesce(operator, '(blank)'), "
        ~ "'; expected one of: " ~ lead_scoring.rule_operators() | join(', ') ~ "')") }}
{%- endmacro %}

{#
    A problem row for each rule whose value cannot be used with its operator: numbers
    for the numeric operators, two numbers separated by '|' for between, a value for
    everything but is_missing and is_present.
#}
{% macro operator_value_problems(rule_table) -%}
    {%- set number = lead_scoring.safe_cast('value', lead_scoring.type_double()) -%}
    {%- set low = lead_scoring.safe_cast(dbt.split_part('value', "'|'", 1), lead_scoring.type_double()) -%}
    {%- set high = lead_scoring.safe_cast(dbt.split_part('value', "'|'", 2), lead_scoring.type_double()) -%}
    {{ lead_scoring.rule_problem(
        rule_table,
        "lower(trim(operator)) in ('gt', 'gte', 'lt', 'lte') and " ~ number ~ " is null",
        "concat('operator ', operator, ' needs a number, not ', coalesce(value, '(blank)'))") }}
    union all
    {{ lead_scoring.rule_problem(
        rule_table,
        "lower(trim(operator)) = 'between' and (" ~ low ~ " is null or "
        ~ high ~ " is null or " ~ low ~ " > " ~ high ~ ")",
        "concat('between needs low|high numbers, not ', coalesce(value, '(blank)'))") }}
    union all
    {{ lead_scoring.rule_problem(
        rule_table,
        "lower(trim(operator)) not in ('is_missing', 'is_present') "
        ~ "and nullif(trim(value), '') is null",
        "concat('operator ', operator, ' needs a value')") }}
    union all
    {{ lead_scoring.rule_problem(
        rule_table,
        "lower(trim(operator)) = 'matches' and nullif(trim(value), '') is not null "
        ~ "and not " ~ lead_scoring.regex_is_valid('value'),
        "concat('invalid regular expression ', value)") }}
    union all
    {{ lead_scoring.rule_problem(
        rule_table,
        "nullif(trim(attribute), '') is null",
        "'attribute is blank'") }}
{%- endmacro %}

{# A problem row for each rule whose points fall outside the allowed range. #}
{% macro points_range_problem(rule_table, column='points', low=-1000, high=1000) -%}
    {{ lead_scoring.rule_problem(
        rule_table,
        column ~ " is null or " ~ column ~ " < " ~ low ~ " or " ~ column ~ " > " ~ high,
        "concat('" ~ column ~ " must be a whole number from " ~ low ~ " to " ~ high
        ~ ", not ', coalesce(" ~ dbt.cast(column, dbt.type_string()) ~ ", '(blank)'))") }}
{%- endmacro %}
