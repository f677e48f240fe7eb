{#
    One row per distinct (activity type, asset) with the activity rule that scores it:
    an exact asset pattern beats a wildcard, a longer wildcard literal beats a shorter
    one, and a rule without an asset pattern is the fallback for its activity type.
#}
with

assets as (

    select distinct
        activity_type,
        asset_key
    from {{ ref('int_activities') }}

),

activity_rules as (

    select * from {{ ref('stg_rules__activity_rules') }}

),

candidates as (

    select
        assets.activity_type,
        assets.asset_key,
        activity_rules.rule_id,
        case
            when activity_rules.asset_pattern is null then -1
            else {{ lead_scoring.pattern_specificity(
                'activity_rules.asset_pattern') }}
        end as specificity
    from assets
    inner join activity_rules
        on assets.activity_type = activity_rules.activity_type
    where
        activity_rules.asset_pattern is null
        or {{ lead_scoring.wildcard_matches(
            'assets.asset_key', 'activity_rules.asset_pattern') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by activity_type, asset_key
            order by specificity desc, rule_id asc
        ) as match_rank
    from candidates

)

select
    activity_type,
    asset_key,
    rule_id as activity_rule_id
from ranked
where match_rank = 1
