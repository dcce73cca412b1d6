{#- What an order line is, for every mart that counts discounts (fct_orders, mart_discount_share,
    mart_new_sku_campaign_sales). A gift (赠品, a free sample) is a line paid at 0: a sale line (it counts in
    lines and units) but never a discount, so it is not a discounted line, not a deal-hunter signal, and its list
    value is neither discount money nor in the list value a discount depth is measured against. -#}

{% macro is_gift_line(items) -%}
    ({{ items }}.paid_unit_price = 0)
{%- endmacro %}

{% macro is_discounted_line(items) -%}
    ({{ items }}.paid_unit_price > 0 and {{ items }}.paid_unit_price < {{ items }}.list_unit_price)
{%- endmacro %}

{#- quantity x list price of a bought line; 0 for a gift (its list value is not given away as a discount) -#}
{% macro line_list_amount(items) -%}
    (case when {{ is_gift_line(items) }} then 0 else {{ items }}.quantity * {{ items }}.list_unit_price end)
{%- endmacro %}
