{#
    Points withheld from the scores, one row per reason and detail. Each reason's
    points add up exactly to its column of score_ledger. Bot and first-time rows are
    counted from the daily points, which keep events and points per bot reason. Daily
    cap, decay and score limit rows come from the ledger rows, because those apply to
    a day's or a lead's total and no single event carries them.
#}

{%- set reasons = [
    ('bot', 'bot user agent'),
    ('bot', 'email link scanner: click right after delivery'),
    ('bot', 'email link scanner: every link clicked at once'),
    ('first_time', none),
    ('daily_cap', 'positive rules'),
    ('daily_cap', 'negative rules'),
    ('decay', 'age'),
    ('decay', 'inactivity'),
    ('score_limit', 'category'),
    ('score_limit', 'total'),
] %}
{%- set reason_names = [
    'bot', 'first_time', 'daily_cap', 'decay', 'score_limit',
] %}
{%- set no_detail = 'cast(null as ' ~ dbt.type_string() ~ ')' %}

with

daily_points as (

    -- The daily rows behind the ledger's activity rows: up to the scoring date.
    select * from {{ ref('int_points_daily') }}
    where activity_date <= {{ lead_scoring.as_of_date() }}

),

ledger as (

    select * from {{ ref('score_ledger') }}

),

score_limits as (

    select * from {{ ref('stg_rules__score_limits') }}

),

reasons as (

    -- Every reason gets a row even when nothing was withheld for it. The bot
    -- details are the bot_reason values of the scored_activities macro.
    {% for reason, detail in reasons %}
        select
            '{{ reason }}' as reason,
            {{ "'" ~ detail ~ "'" if detail else no_detail }} as detail
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

event_totals as (

    {% for column, detail in [
        ('agent_bot', 'bot user agent'),
        ('delivery_scanner', 'email link scanner: click right after delivery'),
        ('burst_scanner', 'email link scanner: every link clicked at once'),
    ] %}
        select
            'bot' as reason,
            '{{ detail }}' as detail,
            sum({{ column }}_events) as events,
            sum({{ column }}_points) as points
        from daily_points

        union all
    {% endfor %}

    select
        'first_time' as reason,
        {{ no_detail }} as detail,
        sum(repeat_events) as events,
        sum(withheld_first_time) as points
    from daily_points

),

limit_rows as (

    select
        ledger.withheld_limit,
        case
            when score_limits.category = '*' then 'total' else 'category'
        end as limit_scope
    from ledger
    left join score_limits on ledger.rule_id = score_limits.rule_id
    where ledger.rule_type = 'limit'

),

ledger_totals as (

    -- A cap on a negative rule limits the points lost, so it withholds
    -- negative points. Reported apart, they do not cancel out positive ones.
    select
        'daily_cap' as reason,
        case
            when withheld_cap < 0 then 'negative rules' else 'positive rules'
        end as detail,
        sum(withheld_cap) as points
    from ledger
    group by
        case
            when withheld_cap < 0 then 'negative rules' else 'positive rules'
        end

    union all

    -- Inactivity decay has ledger rows of its own. Decay by age (linear,
    -- half-life, expiry) is part of the activity rows.
    select
        'decay' as reason,
        case
            when rule_type = 'decay' then 'inactivity' else 'age'
        end as detail,
        sum(decayed_points) as points
    from ledger
    group by case when rule_type = 'decay' then 'inactivity' else 'age' end

    union all

    select
        'score_limit' as reason,
        limit_scope as detail,
        sum(withheld_limit) as points
    from limit_rows
    group by limit_scope

),

amounts as (

    select
        reason,
        detail,
        events,
        points
    from event_totals

    union all

    select
        reason,
        detail,
        cast(null as {{ dbt.type_bigint() }}) as events,
        points
    from ledger_totals

),

joined as (

    select
        coalesce(reasons.reason, amounts.reason) as reason,
        coalesce(reasons.detail, amounts.detail) as detail,
        amounts.events,
        amounts.points
    from reasons
    full outer join amounts
        on
            reasons.reason = amounts.reason
            and coalesce(reasons.detail, '') = coalesce(amounts.detail, '')

)

select
    -- text
    reason,
    detail,

    -- numbers
    case reason
        {% for name in reason_names %}
            when '{{ name }}' then {{ loop.index }}
        {% endfor %}
    end as reason_order,
    case
        when reason in ('bot', 'first_time')
            then cast(coalesce(events, 0) as {{ dbt.type_bigint() }})
    end as events,
    cast(coalesce(points, 0) as {{ lead_scoring.type_points() }}) as points,

    -- timestamps
    {{ lead_scoring.as_of_date() }} as as_of_date
from joined
