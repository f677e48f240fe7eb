{#
    Typed activity events with the reason an event breaks the contract, if it does.
    Duplicates are kept here; int_activities keeps the first delivery of each event.
#}
{{ lead_scoring.checked_activities(source('raw', 'activities')) }}
