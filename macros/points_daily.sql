{#
    The SQL of int_points_daily, kept in macros so that a full refresh can run it for one
    slice of the leads at a time.

    A full refresh scores every event in one query. Its windows and aggregates sort the
    events by lead, and with a 3 GB memory limit that sort spills to disk: at 100M events
    the spill outgrew the 64 GB free on the benchmark machine (BENCHMARKS.md). Every
    window and aggregate here is per lead, so the leads can be split by a hash of their
    id and each slice scored on its own; the union of the slices is the same table.
#}

{#
    Points per lead, rule and day from the scored events of `events`. With `scope` (a
    relation with lead_id and from_date) only the days a run recomputes are kept.
#}
{% macro daily_points(events, prior_counts=none, scope=none) -%}
{#- Sums are cast back to 64 bits: DuckDB sums integers into 128-bit integers, which are
    slow to scan, and this table is the largest the later models read. -#}
{%- set bigint = dbt.type_bigint() %}
with

scored as (

    {{ lead_scoring.scored_activities(events, prior_counts, detail=false) }}

),

in_scope as (

    select scored.*
    from scored
    {% if scope %}
        inner join {{ scope }} as scope
            on
                scored.lead_id = scope.lead_id
                and scored.activity_date >= scope.from_date
    {% endif %}
    where scored.rule_id is not null

),

daily as (

    select
        lead_id,
        rule_id,
        activity_date,
        max(rule_type) as rule_type,
        max(category) as category,
        max(daily_cap) as daily_cap,
        cast(count(*) as {{ bigint }}) as events,
        cast(sum(case when is_bot then 0 else 1 end) as {{ bigint }})
            as counted_events,
        cast(
            sum(case when is_priority and not is_bot then 1 else 0 end)
            as {{ bigint }}
        ) as priority_events,
        cast(sum(raw_points) as {{ bigint }}) as raw_points,
        cast(
            sum(case when is_bot then raw_points else 0 end) as {{ bigint }}
        ) as withheld_bot,
        {% for column, reason in [
            ('agent_bot', 'bot user agent'),
            ('delivery_scanner', 'email link scanner: click right after delivery'),
            ('burst_scanner', 'email link scanner: every link clicked at once'),
        ] %}
            cast(
                sum(case when bot_reason = '{{ reason }}' then 1 else 0 end)
                as {{ bigint }}
            ) as {{ column }}_events,
            cast(
                sum(
                    case
                        when bot_reason = '{{ reason }}' then raw_points else 0
                    end
                ) as {{ bigint }}
            ) as {{ column }}_points,
        {% endfor %}
        cast(
            sum(case when is_repeat_of_first_time_rule then 1 else 0 end)
            as {{ bigint }}
        ) as repeat_events,
        cast(
            sum(
                case
                    when is_repeat_of_first_time_rule then raw_points else 0
                end
            ) as {{ bigint }}
        ) as withheld_first_time,
        cast(
            sum(
                case
                    when not is_bot and not is_repeat_of_first_time_rule
                        then raw_points
                    else 0
                end
            ) as {{ bigint }}
        ) as eligible_points,
        max(loaded_at) as max_loaded_at
    from in_scope
    group by lead_id, rule_id, activity_date

),

capped as (

    select
        *,
        -- The cap limits a day's points in either direction: at most daily_cap
        -- points gained, or daily_cap points lost for a negative rule.
        case
            when daily_cap is null then 0
            when eligible_points > daily_cap then eligible_points - daily_cap
            when eligible_points < -daily_cap then eligible_points + daily_cap
            else 0
        end as withheld_cap
    from daily

)

select
    -- ids
    lead_id,
    rule_id,

    -- text
    rule_type,
    category,

    -- numbers
    events,
    counted_events,
    priority_events,
    raw_points,
    withheld_bot,
    agent_bot_events,
    agent_bot_points,
    delivery_scanner_events,
    delivery_scanner_points,
    burst_scanner_events,
    burst_scanner_points,
    withheld_first_time,
    repeat_events,
    withheld_cap,
    eligible_points - withheld_cap as awarded_points,

    -- timestamps
    activity_date,
    max_loaded_at,
    {{ lead_scoring.run_timestamp() }} as processed_at
from capped
{%- endmacro %}

{#
    Every lead's daily points, or with `slices` above 1 those of the leads in slice
    `slice_number` (0 to slices - 1).
#}
{% macro daily_points_of_all_leads(slice_number=0, slices=1) -%}
with

resolved as (

    {{ lead_scoring.resolved_activities() }}

),

events_to_score as (

    select * from resolved
    where
        scored_lead_id is not null
        {% if slices > 1 -%}
            and {{ lead_scoring.lead_slice('scored_lead_id', slices) }} = {{ slice_number }}
        {%- endif %}

),

points as (

    {{ lead_scoring.daily_points('events_to_score') }}

)

select * from points
{%- endmacro %}

{#
    How many slices a full refresh of int_points_daily uses: one per
    `full_refresh_slice_events` events (0 turns slicing off), at most 256, because each
    slice scans all events again. Counted when the model runs, after int_activities is
    built. At parse time, in unit tests (whose refs are fixtures) and when a linter
    compiles the model without a warehouse, the answer does not matter.
#}
{% macro full_refresh_slices() -%}
    {%- set configured = var('full_refresh_slice_events') -%}
    {%- if configured is boolean
        or not modules.re.fullmatch('[0-9]+', configured | string) -%}
        {{ exceptions.raise_compiler_error(
            "the variable full_refresh_slice_events must be a whole number of events "
            ~ "(0 turns slicing off), not " ~ configured) }}
    {%- endif -%}
    {%- set per_slice = configured | int -%}
    {%- if not execute or per_slice == 0 or model.resource_type == 'unit_test' -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set activities = load_relation(ref('int_activities')) -%}
    {%- if activities is none -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set counted = run_query('select count(*) from ' ~ activities) -%}
    {%- set events = counted.columns[0].values()[0] | int -%}
    {{ return([1, [256, (events + per_slice - 1) // per_slice] | min] | max) }}
{%- endmacro %}

{#
    The table a sliced full refresh fills slice by slice before the model selects from it;
    the post-hook drops it.
#}
{% macro slices_relation(relation) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__slices'})) }}
{%- endmacro %}

{#
    Pre-hook of a sliced full refresh: scores each slice in its own statement, so one
    slice's sort is all a statement holds. Renders nothing when one slice is enough or
    the run is incremental.
#}
{% macro fill_slices(relation) -%}
    {%- set slices = lead_scoring.full_refresh_slices() -%}
    {%- if slices > 1 -%}
        {%- set target = lead_scoring.slices_relation(relation) -%}
        drop table if exists {{ target }};
        create table {{ target }} as
        {{ lead_scoring.daily_points_of_all_leads(0, slices) }};
        {% for slice_number in range(1, slices) -%}
            insert into {{ target }}
            {{ lead_scoring.daily_points_of_all_leads(slice_number, slices) }};
        {% endfor -%}
    {%- endif -%}
{%- endmacro %}

{#
    A whole number from 0 to slices - 1 for each value of `column`, the same in every run.
    Only engines listed here can slice a full refresh; on others set
    full_refresh_slice_events to 0.
#}
{% macro lead_slice(column, slices) -%}
    {{ return(adapter.dispatch('lead_slice', 'lead_scoring')(column, slices)) }}
{%- endmacro %}

{% macro default__lead_slice(column, slices) -%}
    {{ exceptions.raise_compiler_error(
        "slicing a full refresh is not written for " ~ target.type
        ~ "; set the variable full_refresh_slice_events to 0") }}
{%- endmacro %}

{% macro duckdb__lead_slice(column, slices) -%}
    hash({{ column }}) % {{ slices }}
{%- endmacro %}

{% macro spark__lead_slice(column, slices) -%}
    pmod(hash({{ column }}), {{ slices }})
{%- endmacro %}

{% macro snowflake__lead_slice(column, slices) -%}
    mod(abs(hash({{ column }})), {{ slices }})
{%- endmacro %}

{% macro bigquery__lead_slice(column, slices) -%}
    mod(abs(farm_fingerprint({{ column }})), {{ slices }})
{%- endmacro %}
