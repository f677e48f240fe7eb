{#
    Grade letters on a 13-step scale, one step per third of a letter: F is step 0, D is
    step 2 (where every graded lead starts) and A+ is step 12.
#}
{% macro grade_letters() -%}
    {{ return(['F', 'D-', 'D', 'D+', 'C-', 'C', 'C+', 'B-', 'B', 'B+', 'A-', 'A', 'A+']) }}
{%- endmacro %}

{% macro grade_letter(step) -%}
    case {{ step }}
    {%- for letter in lead_scoring.grade_letters() %}
        when {{ loop.index0 }} then '{{ letter }}'
    {%- endfor %}
    end
{%- endmacro %}

{# Step of a grade letter (case-insensitive); null for anything else. #}
{% macro grade_step(letter) -%}
    case upper(trim({{ letter }}))
    {%- for grade in lead_scoring.grade_letters() %}
        when '{{ grade }}' then {{ loop.index0 }}
    {%- endfor %}
    end
{%- endmacro %}
