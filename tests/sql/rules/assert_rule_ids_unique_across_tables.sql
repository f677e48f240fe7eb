{{ config(store_failures=true, schema='rule_test_failures') }}

{#
    The ledger names each rule by its id alone, so an id may appear in only one rule
    table.
#}

{% set scoring_tables = [
    'activity_rules', 'page_rules', 'metric_rules', 'property_rules',
    'score_limits', 'decay_rules'
] %}

with

rule_ids as (

    {% for rule_table in scoring_tables %}
        select
            '{{ rule_table }}' as rule_table,
            rule_id
        from {{ ref(rule_table) }}
        where rule_id is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

shared as (

    select rule_id
    from rule_ids
    group by rule_id
    having count(distinct rule_table) > 1

)

select
    rule_ids.rule_table,
    rule_ids.rule_id,
    'rule_id is also used in another rule table' as problem
from rule_ids
inner join shared on rule_ids.rule_id = shared.rule_id
