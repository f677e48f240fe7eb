{#
    One row per distinct user agent that a bot pattern matches, with the first
    match.
#}
with

user_agents as (

    select distinct user_agent_key
    from {{ ref('int_activities') }}
    where user_agent_key is not null

),

bot_patterns as (

    select
        rule_id,
        lower(trim(pattern)) as pattern
    from {{ ref('bot_user_agents') }}
    where is_active and nullif(trim(pattern), '') is not null

),

matches as (

    select
        user_agents.user_agent_key,
        bot_patterns.rule_id,
        row_number() over (
            partition by user_agents.user_agent_key
            order by bot_patterns.rule_id
        ) as match_rank
    from user_agents
    inner join bot_patterns
        on {{ lead_scoring.wildcard_matches(
            'user_agents.user_agent_key', 'bot_patterns.pattern') }}

)

select
    user_agent_key,
    rule_id as bot_rule_id
from matches
where match_rank = 1
