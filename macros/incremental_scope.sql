{#
    Events with the lead they score for: their own lead_id, else the lead their
    anonymous visitor id was later linked to. Events of visitors not yet identified get
    no lead and wait for an identify event.
#}
{% macro resolved_activities() -%}
    select
        activities.*,
        coalesce(activities.lead_id, identities.lead_id) as scored_lead_id,
        identities.loaded_at as identified_loaded_at
    from {{ ref('int_activities') }} as activities
    left join {{ ref('int_identity_map') }} as identities
        -- An event's own lead_id wins; the key is null then, which joins nothing.
        on
            case
                when activities.lead_id is null then activities.visitor_id
            end = identities.visitor_id
{%- endmacro %}

{#
    Pre-hook of the tables int_affected_leads scopes: deletes each affected lead's rows
    from its first changed day on, so days the lead no longer has (its visitor moved to
    another lead) do not survive. The model then inserts the recomputed rows. The
    constant bound lets DuckDB skip most rows before looking up their lead.
#}
{% macro delete_affected_rows(relation, date_column) -%}
    delete from {{ relation }}
    where
        {{ relation }}.{{ date_column }} >= {{ lead_scoring.earliest_affected_day() }}
        and exists (
            select 1
            from {{ ref('int_affected_leads') }} as affected
            where
                affected.lead_id = {{ relation }}.lead_id
                and {{ relation }}.{{ date_column }} >= affected.from_date
        )
{%- endmacro %}

{#
    The earliest day any affected lead reads events from, `days_before` days before the
    first changed day, as a date literal. It is looked up when the model runs, so the
    compiled SQL compares activity_date with a constant: DuckDB then filters the table
    scan on that column before reading the others, which halved the time of
    int_points_daily's incremental query at 10M events. With no affected lead, the bound
    lies after every event.
#}
{% macro earliest_affected_day(days_before=0) -%}
    {%- set earliest = none -%}
    {%- if execute -%}
        {%- set found = run_query(
            'select min(from_date) from ' ~ ref('int_affected_leads')) -%}
        {%- set earliest = found.columns[0].values()[0] -%}
    {%- endif -%}
    {%- if earliest is none -%}
        {%- set day = '9999-12-31' -%}
    {%- else -%}
        {%- set day = (
            modules.datetime.date.fromisoformat((earliest | string)[:10])
            - modules.datetime.timedelta(days=days_before)
        ).isoformat() -%}
    {%- endif -%}
    cast('{{ day }}' as date)
{%- endmacro %}

{#
    resolved_activities() for the leads in `affected` only, from the day in its column
    `from_column` on. Reads the events of those leads, not all events. `earliest` is a
    constant no later than any day of `from_column` (earliest_affected_day()).
#}
{% macro affected_activities(affected, from_column, earliest) -%}
    select
        activities.*,
        activities.lead_id as scored_lead_id,
        cast(null as {{ dbt.type_timestamp() }}) as identified_loaded_at
    from {{ ref('int_activities') }} as activities
    inner join {{ affected }}
        on activities.lead_id = {{ affected }}.lead_id
    where
        activities.activity_date >= {{ affected }}.{{ from_column }}
        and activities.activity_date >= {{ earliest }}

    union all

    select
        activities.*,
        identities.lead_id as scored_lead_id,
        identities.loaded_at as identified_loaded_at
    from {{ ref('int_activities') }} as activities
    inner join {{ ref('int_identity_map') }} as identities
        on activities.visitor_id = identities.visitor_id
    inner join {{ affected }}
        on identities.lead_id = {{ affected }}.lead_id
    where
        activities.lead_id is null
        and activities.activity_date >= {{ affected }}.{{ from_column }}
        and activities.activity_date >= {{ earliest }}
{%- endmacro %}

{#
    Lead-level tables (metric points, inactivity decay, ledger, scores, stages) are
    computed lead by lead from the lead's daily rows, its profile, the rules and the
    scoring date. When the build runner finds that only activity changed since the last
    build (same leads, attributes, accounts, rules, code and scoring date), it sets the
    environment variable LEAD_SCORING_RESCORE to `changed`: these tables then recompute
    the leads of int_affected_leads alone and keep the rows of every other lead. In any
    other case, a plain `dbt build` included, they recompute every lead.
#}
{% macro rescores_changed_leads() -%}
    {{ return(is_incremental() and env_var('LEAD_SCORING_RESCORE', 'all') == 'changed') }}
{%- endmacro %}

{#
    The config of a lead-level table: incremental, and a pre-hook that deletes the rows
    of the leads this run recomputes before the model inserts them again. With
    `recheck_conversions`, the pre-hook also deletes the leads whose is_converted no
    longer matches stg_conversions, since a conversion can arrive without activity.

    `daily_rule_types` names the rule types whose rows mirror int_activity_points_decayed,
    one per lead, rule and day. Of those, only the days from the lead's first changed day
    on (int_affected_leads.from_date) are replaced, as in that table; the model must then
    insert the same days alone.
#}
{% macro rescored_by_lead_config(unique_key, recheck_conversions=false, daily_rule_types=[]) -%}
    {{ config(
        materialized='incremental',
        unique_key=unique_key,
        incremental_strategy=lead_scoring.replaced_rows_strategy(),
        on_schema_change='fail',
        pre_hook=(
            '{{ lead_scoring.delete_rescored_leads(this, '
            ~ (recheck_conversions | string | lower) ~ ', '
            ~ (daily_rule_types | string) ~ ') }}'
        )
    ) }}
{%- endmacro %}

{# Pre-hook of the lead-level tables; renders nothing on a table's first build. #}
{% macro delete_rescored_leads(relation, recheck_conversions=false, daily_rule_types=[]) -%}
    {% if is_incremental() -%}
        delete from {{ relation }}
        {% if lead_scoring.rescores_changed_leads() -%}
            where
                exists (
                    select 1
                    from {{ ref('int_affected_leads') }} as affected
                    where
                        affected.lead_id = {{ relation }}.lead_id
                        {% if daily_rule_types -%}
                            and (
                                {{ relation }}.rule_type not in (
                                    '{{ daily_rule_types | join("', '") }}')
                                or {{ relation }}.activity_date >= affected.from_date
                            )
                        {%- endif %}
                )
                {% if recheck_conversions -%}
                    or is_converted
                    != (lead_id in ({{ lead_scoring.converted_leads() }}))
                {%- endif %}
        {%- endif %}
    {%- endif %}
{%- endmacro %}

{# A condition on a lead id column: true for the leads this run recomputes. #}
{% macro is_rescored_lead(column) -%}
    {%- if lead_scoring.rescores_changed_leads() -%}
        {{ column }} in (select lead_id from {{ ref('int_affected_leads') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#
    Strategy of the tables whose pre-hook deletes the rows a run replaces: inserting the
    new rows is enough. dbt-bigquery has no plain append, so it merges on the unique key.
#}
{% macro replaced_rows_strategy() -%}
    {{ return(adapter.dispatch('replaced_rows_strategy', 'lead_scoring')()) }}
{%- endmacro %}

{% macro default__replaced_rows_strategy() -%}
    {{ return('append') }}
{%- endmacro %}

{% macro bigquery__replaced_rows_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{# The leads with at least one valid conversion. #}
{% macro converted_leads() -%}
    select distinct lead_id
    from {{ ref('stg_conversions') }}
    where rejection_reason is null
{%- endmacro %}

{#
    Pre-hook of quarantine: deletes the rows the run lists again. When only activity
    changed, those are the importer's rows, the conversions and the activity rows
    int_activity_rejects replaced; otherwise every row.
#}
{% macro delete_replaced_quarantine(relation) -%}
    {% if is_incremental() -%}
        delete from {{ relation }}
        {% if lead_scoring.rescores_changed_leads() -%}
            where
                kind = 'import'
                or source_table = 'conversions'
                or (
                    source_table = 'activities'
                    and kind = 'rejected'
                    and (
                        loaded_at is null
                        or loaded_at >= {{ lead_scoring.reread_rejects_watermark().sql }}
                    )
                )
        {%- endif %}
    {%- endif %}
{%- endmacro %}
