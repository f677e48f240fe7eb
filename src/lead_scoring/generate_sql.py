"""SQL that expands the per-lead plan of the sample data generator into activity rows.

A lead's stream is a sequence of slots. Every SLOTS_PER_GROUP consecutive slots form one
group: a website visit, an email, or a webinar. Events inside a group therefore come in a
believable order (delivered before opened before clicked). Every random choice is
gen_uniform(lead, slot or group, purpose): a hash of the seed, so reruns give identical rows.

The statement takes two parameters, the first and last lead index of the chunk. Python
str.format fills in the braces; literal braces are doubled.
"""

MACRO_SQL = """
create or replace temp macro gen_uniform(a, b, purpose) as
    (hash({seed}, a, b, purpose) % 1000000) / 1000000.0;
create or replace temp macro gen_pick(a, b, purpose, n) as
    1 + (hash({seed}, a, b, purpose) % n)::integer;
create or replace temp macro gen_format(epoch_seconds) as
    strftime(epoch_ms((epoch_seconds * 1000)::bigint), '%Y-%m-%dT%H:%M:%SZ');
"""

ACTIVITY_SQL = """
insert into {table} (
    event_id, lead_id, visitor_id, activity_type, occurred_at, loaded_at,
    url, asset, duration_seconds, user_agent, properties
)
with slots as (
    select plan.*, unnest(range(plan.n_events)) as j
    from generator_plan as plan
    where plan.lead_idx between ? and ?
),

effective as (
    -- A duplicate slot repeats the previous slot exactly, like a feed that re-delivers an
    -- event. Every later value derives from e, so the copy is identical to the original.
    select
        *,
        case
            when j > 0
                and gen_uniform(lead_idx, j, 'duplicate') < {duplicate_rate}
                and gen_uniform(lead_idx, j - 1, 'duplicate') >= {duplicate_rate}
                then j - 1
            else j
        end as e
    from slots
),

grouped as (
    select
        *,
        e // {slots} as g,
        e % {slots} as k,
        greatest(1, ceil(n_events / {slots}.0))::bigint as group_count
    from effective
),

decided as (
    select
        *,
        case
            when opportunity_epoch is not null and n_events >= 3 and lost_epoch is null
                and e = n_events - 1 then 'opportunity_created'
            when opportunity_epoch is not null and n_events >= 3 and lost_epoch is not null
                and e = n_events - 2 then 'opportunity_created'
            when lost_epoch is not null and n_events >= 3 and e = n_events - 1
                then 'opportunity_lost'
            when anonymous_groups > 0 and g = anonymous_groups and k = 0 then 'identify'
        end as special,
        case
            -- Anonymous visitors only browse; the identify event links them to the lead.
            when g < anonymous_groups then 'visit'
            when gen_uniform(lead_idx, g, 'template') < 0.03 + 0.07 * intent then 'webinar'
            when gen_uniform(lead_idx, g, 'template') < 0.40 then 'email'
            else 'visit'
        end as template,
        start_epoch
        + floor(span_seconds * (g + 0.9 * gen_uniform(lead_idx, g, 'time')) / group_count)::bigint
            as group_epoch,
        gen_uniform(lead_idx, g, 'open') < 0.25 + 0.5 * engagement as opened,
        gen_uniform(lead_idx, g, 'click') < 0.15 + 0.5 * intent as click_wanted,
        gen_uniform(lead_idx, g, 'attend') < 0.3 + 0.5 * intent as attended,
        gen_uniform(lead_idx, g, 'scanner') < {scanner_rate} as scanned,
        gen_uniform(lead_idx, g, 'bot') < {bot_rate} as bot_group,
        gen_uniform(lead_idx, e, 'slot') as u_slot,
        gen_uniform(lead_idx, e, 'page') as u_page,
        gen_uniform(lead_idx, e, 'pick') as u_pick,
        case when job_seeker then 0.4 else 0.02 end as careers_share
    from grouped
),

typed as (
    select
        *,
        template = 'visit' and bot_group and special is null as is_bot,
        coalesce(special, case
            when template = 'visit' then case
                when k = 0 then 'session'
                when k < 3 or bot_group then 'page_view'
                when u_slot < 0.04 + 0.22 * intent then 'form_submission'
                when u_slot < 0.06 + 0.22 * intent then 'form_error'
                when u_slot < 0.14 + 0.27 * intent then 'file_download'
                when u_slot < 0.17 + 0.34 * intent then 'chat'
                else 'page_view'
            end
            when template = 'email' then case
                when k = 0 then 'email_delivered'
                when k = 1 and scanned then 'email_click'
                when k = 1 and opened then 'email_open'
                when k = 1 then 'email_delivered'
                when k = 2 and opened and click_wanted then 'email_click'
                when k = 2 and u_slot < 0.03 * (1 - intent) then 'unsubscribe'
                when k = 2 then 'email_delivered'
                else 'page_view'
            end
            else case
                when k = 0 then 'webinar_registered'
                when k = 1 then 'email_delivered'
                when k = 2 and attended then 'webinar_attended'
                when k = 2 then 'email_open'
                else 'page_view'
            end
        end) as activity_type,
        case
            when special = 'opportunity_created' then opportunity_epoch
            when special = 'opportunity_lost' then lost_epoch
            when k = 0 then group_epoch
            -- A link scanner follows every link within two seconds of delivery.
            when template = 'email' and k = 1 and scanned then group_epoch + 1 + floor(2 * u_slot)
            when template = 'email' then group_epoch + (k - 1) * 20000 + 600 + floor(19000 * u_slot)
            when template = 'webinar' then group_epoch + k * 172800 + floor(3600 * u_slot)
            else group_epoch + k * 200 + floor(180 * u_slot)
        end::bigint as planned_epoch
    from decided
),

placed as (
    select
        *,
        case
            when u_page < careers_share then case
                when u_pick < 0.5 then '/careers'
                else '/careers/jobs/' || (100 + hash({seed}, lead_idx, e, 'job') % 900)::varchar
            end
            when u_page < careers_share + 0.02 + 0.15 * intent then case
                when u_pick < 0.7 then '/pricing' else '/pricing/enterprise'
            end
            when u_page < careers_share + 0.025 + 0.19 * intent then '/demo'
            else {normal_pages}[gen_pick(lead_idx, e, 'normal', len({normal_pages}))]
        end as page_path,
        case
            when activity_type in ('form_submission', 'form_error') then case
                when u_pick < 0.1 + 0.6 * intent then {form_assets}[2]
                when u_pick < 0.55 + 0.3 * intent then {form_assets}[1]
                else {form_assets}[3]
            end
            when activity_type = 'file_download' then case
                when u_pick < 0.2 + 0.5 * intent then {file_assets}[1]
                else {file_assets}[gen_pick(lead_idx, e, 'file', len({file_assets}))]
            end
            when activity_type in ('email_delivered', 'email_open', 'email_click') then case
                when template = 'webinar' then 'Webinar Reminder'
                when template = 'email' and (k = 0 or activity_type <> 'email_delivered')
                    then {email_assets}[gen_pick(lead_idx, g, 'email', len({email_assets}))]
                else {email_assets}[gen_pick(lead_idx, e, 'email', len({email_assets}))]
            end
            when activity_type in ('webinar_registered', 'webinar_attended')
                then {webinar_assets}[gen_pick(lead_idx, g, 'webinar', len({webinar_assets}))]
            when activity_type = 'chat' then 'Website Chat'
        end as asset
    from typed
),

addressed as (
    select
        *,
        case
            when activity_type in ('page_view', 'session', 'chat', 'email_click', 'identify')
                then page_path
            when asset = {form_assets}[2] then '/demo'
            when asset = {form_assets}[1] then '/contact'
            when activity_type in ('form_submission', 'form_error') then '/newsletter'
            when activity_type = 'file_download'
                then '/resources/' || replace(lower(asset), ' ', '-')
            when activity_type = 'webinar_registered'
                then '/webinars/' || replace(lower(asset), ' ', '-')
        end as path
    from placed
),

dirtied as (
    select
        addressed.*,
        dirt.kind as dirt,
        2 * 86400 + hash({seed}, lead_idx, e, 'late') % (7 * 86400) as late_delay
    from addressed
    left join generator_dirt as dirt on dirt.event_no = addressed.event_offset + addressed.e
),

timed as (
    select
        *,
        case
            when dirt = 'late_event'
                then least(planned_epoch, {reference_epoch} - late_delay - 600)
            else least(planned_epoch, {reference_epoch} - 1)
        end as occurred_epoch
    from dirtied
)

select
    printf('evt-%010d', event_offset + e) as event_id,
    case
        when dirt = 'missing_lead_id' then null
        when dirt = 'unknown_lead_id'
            then 'L9' || lpad((hash({seed}, lead_idx, e, 'ghost') % 10000000)::varchar, 7, '0')
        when special = 'identify' then lead_id
        when g < anonymous_groups then null
        else lead_id
    end as lead_id,
    case
        when dirt in ('missing_lead_id', 'unknown_lead_id') then null
        when special = 'identify' or g < anonymous_groups then visitor_id
    end as visitor_id,
    case
        when dirt = 'unknown_activity_type'
            then {unknown_types}[gen_pick(lead_idx, e, 'unknown', len({unknown_types}))]
        else activity_type
    end as activity_type,
    case
        when dirt = 'unparseable_timestamp'
            then {bad_timestamps}[gen_pick(lead_idx, e, 'bad_ts', len({bad_timestamps}))]
        when dirt = 'future_timestamp'
            then gen_format(
                {reference_epoch} + 86400 + hash({seed}, lead_idx, e, 'future') % 2592000
            )
        else gen_format(occurred_epoch)
    end as occurred_at,
    gen_format(case
        when dirt = 'late_event' then occurred_epoch + late_delay
        when dirt = 'future_timestamp' then {reference_epoch} - 1 - floor(3600 * u_slot)::bigint
        else least(occurred_epoch + 5 + floor(600 * u_pick)::bigint, {reference_epoch} - 1)
    end) as loaded_at,
    case
        when path is null then null
        else
            case
                when gen_uniform(lead_idx, e, 'host') < 0.04 then 'https://WWW.EXAMPLE.COM'
                when gen_uniform(lead_idx, e, 'host') < 0.07 then 'https://www.Example.com'
                when gen_uniform(lead_idx, e, 'host') < 0.09 then 'http://www.example.com'
                else 'https://www.example.com'
            end
            || path
            || case
                when path <> '/' and gen_uniform(lead_idx, e, 'slash') < 0.05 then '/' else ''
            end
            || case
                when activity_type = 'email_click' then '?utm_source=newsletter&utm_medium=email'
                when gen_uniform(lead_idx, e, 'query') < 0.1
                    then '?utm_source=' || replace(lower(lead_source), ' ', '_')
                when gen_uniform(lead_idx, e, 'query') < 0.13
                    then '?ref=partner&sid=' || (hash({seed}, lead_idx, e, 'sid') % 100000)::varchar
                else ''
            end
            || case when gen_uniform(lead_idx, e, 'fragment') < 0.02 then '#top' else '' end
    end as url,
    asset,
    case
        when activity_type <> 'session' then null
        when is_bot then (1 + floor(3 * u_slot))::bigint::varchar
        else (20 + floor(pow(u_slot, 2) * 1800 * (0.3 + engagement)))::bigint::varchar
    end as duration_seconds,
    case
        when activity_type in ('email_delivered', 'opportunity_created', 'opportunity_lost')
            then null
        when is_bot
            then {bot_user_agents}[gen_pick(lead_idx, g, 'bot_agent', len({bot_user_agents}))]
        else user_agent
    end as user_agent,
    case
        when activity_type = 'page_view' and u_pick < 0.3
            then json_object('referrer', 'https://www.google.com/')::varchar
        when activity_type = 'session'
            then json_object(
                'device', case when user_agent like '%iPhone%' then 'mobile' else 'desktop' end
            )::varchar
        when activity_type = 'form_submission' then json_object('form', asset)::varchar
        when activity_type = 'form_error'
            then json_object('form', asset, 'error', 'invalid email address')::varchar
        when activity_type like 'email_%'
            then json_object(
                'campaign_id', 'cmp-' || gen_pick(lead_idx, g, 'campaign', 400)
            )::varchar
        when activity_type = 'opportunity_created' then json_object('amount', amount)::varchar
        when activity_type = 'identify' then json_object('method', 'form_submission')::varchar
    end as properties
from timed
"""
