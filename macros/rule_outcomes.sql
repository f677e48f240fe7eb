{#
    Each rule of `rules` (a CTE) against each distinct value of its attribute in
    `attributes` (a relation), plus the missing value, with is_match. Leads share few
    distinct values (job titles, countries), so the operators, regular expressions
    included, run on thousands of rows rather than on every lead and rule.

    The values come from the attribute table itself, not from a CTE of the caller. DuckDB
    materializes a CTE that a query reads twice, and at millions of leads a materialized
    CTE of per-lead rows takes gigabytes. `rules` needs rule_id, attribute, operator and
    rule_value, and `attributes` needs attribute and value. Join the result on rule_id and
    value_key: the value, or '' when missing, which a cleaned value never is.
#}
{% macro rule_outcomes(rules, attributes) -%}
    select
        rule_id,
        coalesce(value, '') as value_key,
        {{ lead_scoring.compare_values('value', 'operator', 'rule_value') }}
            as is_match
    from (
        select
            rules.rule_id,
            rules.operator,
            rules.rule_value,
            attribute_values.value
        from {{ rules }} as rules
        inner join (
            select distinct
                attribute,
                value
            from {{ attributes }}
        ) as attribute_values
            on rules.attribute = attribute_values.attribute

        union all

        select
            rule_id,
            operator,
            rule_value,
            cast(null as {{ dbt.type_string() }}) as value
        from {{ rules }}
    ) as rule_values
{%- endmacro %}
