{#
    Compare each distinct (rule, value) pair once and return them with is_match. Leads
    share few distinct values (job titles, countries), so this evaluates the operators,
    regular expressions included, on thousands of rows rather than on every lead.
    `lead_values` names a CTE with rule_id, operator, rule_value and value; join the
    result back on rule_id and value_key (the value, with '' for missing, which a
    cleaned value can never be).
#}
{% macro distinct_outcomes(lead_values) -%}
    select
        rule_id,
        value_key,
        {{ lead_scoring.compare_values('value', 'operator', 'rule_value') }}
            as is_match
    from (
        select distinct
            rule_id,
            operator,
            rule_value,
            value,
            coalesce(value, '') as value_key
        from {{ lead_values }}
    ) as distinct_values
{%- endmacro %}
