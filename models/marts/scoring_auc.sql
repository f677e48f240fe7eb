{#
    ROC AUC of the score and of the grade against conversion: the probability that a
    converted lead ranks above one that did not, ties counting half (the Mann-Whitney
    form). Computed per distinct value, so it costs one sort of the distinct scores.
    Leads without a grade are left out of the grade's AUC.
#}

{% set measures = {'score': 'score', 'grade': 'grade_step'} %}
{% set double = lead_scoring.type_double() %}

with

qualification as (

    select * from {{ ref('int_lead_evaluation') }}

),

{% for measure, column in measures.items() %}

    {{ measure }}_values as (

        select
            cast({{ column }} as {{ double }}) as value,
            sum(case when is_converted then 1 else 0 end) as positives,
            sum(case when is_converted then 0 else 1 end) as negatives
        from qualification
        where {{ column }} is not null
        group by cast({{ column }} as {{ double }})

    ),

    {{ measure }}_ranked as (

        select
            *,
            coalesce(sum(negatives) over (
                order by value
                rows between unbounded preceding and 1 preceding
            ), 0) as negatives_below
        from {{ measure }}_values

    ),

    {{ measure }}_auc as (

        select
            '{{ measure }}' as measure,
            sum(positives) + sum(negatives) as leads,
            sum(positives) as conversions,
            case
                when sum(positives) > 0 and sum(negatives) > 0
                    then
                        sum(positives * (negatives_below + 0.5 * negatives))
                        / (
                            cast(sum(positives) as {{ double }})
                            * sum(negatives)
                        )
            end as auc
        from {{ measure }}_ranked

    ),

{% endfor %}

final as (

    select * from score_auc
    union all
    select * from grade_auc

)

select
    measure,
    auc,
    cast(leads as {{ dbt.type_bigint() }}) as leads,
    cast(conversions as {{ dbt.type_bigint() }}) as conversions
from final
