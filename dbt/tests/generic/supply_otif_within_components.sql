{#- OTIF counts deliveries both on time and in full, so its rate can exceed neither of the two (1e-12 for float sums). -#}
{% test supply_otif_within_components(model, otif_column='otif_rate', on_time_column='on_time_rate', in_full_column='in_full_rate') %}
select *
from {{ model }}
where {{ otif_column }} > {{ on_time_column }} + 1e-12
    or {{ otif_column }} > {{ in_full_column }} + 1e-12
{% endtest %}
