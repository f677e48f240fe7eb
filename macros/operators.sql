{# The operators shared by property rules, grading criteria and profile assignment. #}
{% macro rule_operators() -%}
    {{ return([
        'equals', 'not_equals', 'in', 'not_in', 'contains', 'starts_with',
        'ends_with', 'matches', 'gt', 'gte', 'lt', 'lte', 'between',
        'is_missing', 'is_present'
    ]) }}
{%- endmacro %}

{% macro numeric_operators() -%}
    {{ return(['gt', 'gte', 'lt', 'lte', 'between']) }}
{%- endmacro %}

{#
    Compare a lead's value with a rule's value under a rule's operator.

    Returns true or false, or null when the answer is unknown: the value is missing, or a
    numeric operator meets a value that is not a number. Callers treat null as "no
    evidence", which is why a missing value neither matches nor fails a criterion.
    Text comparison ignores case. List operators (in, not_in) and between take their
    values separated by '|', for example 'us|ca|gb' or '50|500'.
#}
{% macro compare_values(value, operator, rule_value) -%}
    {%- set lowered_value = 'lower(' ~ value ~ ')' -%}
    {%- set lowered_rule = 'lower(' ~ rule_value ~ ')' -%}
    {%- set number = lead_scoring.safe_cast(value, lead_scoring.type_double()) -%}
    {%- set rule_number = lead_scoring.safe_cast(rule_value, lead_scoring.type_double()) -%}
    {%- set low = lead_scoring.safe_cast(
        dbt.split_part(rule_value, "'|'", 1), lead_scoring.type_double()) -%}
    {%- set high = lead_scoring.safe_cast(
        dbt.split_part(rule_value, "'|'", 2), lead_scoring.type_double()) -%}
    case
        when {{ operator }} = 'is_missing' then {{ value }} is null
        when {{ operator }} = 'is_present' then {{ value }} is not null
        when {{ value }} is null then null
        when {{ operator }} = 'equals' then {{ lowered_value }} = {{ lowered_rule }}
        when {{ operator }} = 'not_equals'
            then {{ lowered_value }} != {{ lowered_rule }}
        when {{ operator }} = 'in'
            then {{ dbt.position(
                "concat('|', " ~ lowered_value ~ ", '|')",
                "concat('|', " ~ lowered_rule ~ ", '|')") }} > 0
        when {{ operator }} = 'not_in'
            then {{ dbt.position(
                "concat('|', " ~ lowered_value ~ ", '|')",
                "concat('|', " ~ lowered_rule ~ ", '|')") }} = 0
        when {{ operator }} = 'contains'
            then {{ dbt.position(lowered_rule, lowered_value) }} > 0
        when {{ operator }} = 'starts_with'
            then {{ dbt.position(lowered_rule, lowered_value) }} = 1
        when {{ operator }} = 'ends_with'
            then {{ dbt.right(lowered_value, dbt.length(rule_value)) }}
            = {{ lowered_rule }}
        when {{ operator }} = 'matches'
            then {{ lead_scoring.regex_matches(value, rule_value) }}
        when {{ operator }} = 'gt' then {{ number }} > {{ rule_number }}
        when {{ operator }} = 'gte' then {{ number }} >= {{ rule_number }}
        when {{ operator }} = 'lt' then {{ number }} < {{ rule_number }}
        when {{ operator }} = 'lte' then {{ number }} <= {{ rule_number }}
        when {{ operator }} = 'between'
            then {{ number }} >= {{ low }} and {{ number }} <= {{ high }}
    end
{%- endmacro %}
