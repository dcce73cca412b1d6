"""Marketing page data: daily KPIs new vs returning, cohort retention, deep-discount cohorts, deal hunters."""

from _serving import connect, emit, rows

with connect() as con:
    daily = rows(
        con,
        """
        select kpi_date, orders_count, revenue, new_customers, returning_customers, new_revenue, returning_revenue,
               avg_order_value, new_avg_order_value, returning_avg_order_value, returning_revenue_share_rate
        from marts.mart_daily_kpis
        order by kpi_date
        """,
    )
    # one row per cohort month x months since first order, both cohort types together (the heatmap) ...
    retention = rows(
        con,
        """
        select cohort_month, months_since_first_order,
               sum(cohort_customers) as cohort_customers, sum(active_customers) as active_customers,
               sum(active_customers) / sum(cohort_customers) as retention_rate
        from marts.mart_cohort_retention
        group by all
        order by cohort_month, months_since_first_order
        """,
    )
    # ... and per cohort type over all cohort months (the deep-discount comparison), customer-weighted
    by_type = rows(
        con,
        """
        select cohort_type, months_since_first_order,
               sum(cohort_customers) as cohort_customers, sum(active_customers) as active_customers,
               sum(active_customers) / sum(cohort_customers) as retention_rate,
               sum(revenue) / sum(cohort_customers) as revenue_per_customer
        from marts.mart_cohort_retention
        group by all
        order by cohort_type, months_since_first_order
        """,
    )
    # second-order rates are null until a cohort is old enough: weigh the mature cohorts only
    second_order = rows(
        con,
        """
        unpivot (
            select cohort_type,
                   sum(second_order_30d_rate * cohort_customers)
                       / sum(case when second_order_30d_rate is not null then cohort_customers end) as "30",
                   sum(second_order_60d_rate * cohort_customers)
                       / sum(case when second_order_60d_rate is not null then cohort_customers end) as "60",
                   sum(second_order_90d_rate * cohort_customers)
                       / sum(case when second_order_90d_rate is not null then cohort_customers end) as "90",
                   sum(second_order_365d_rate * cohort_customers)
                       / sum(case when second_order_365d_rate is not null then cohort_customers end) as "365"
            from marts.mart_cohort_retention
            where months_since_first_order = 0
            group by cohort_type
        ) on "30", "60", "90", "365" into name within_days value second_order_rate
        order by cohort_type, cast(within_days as integer)
        """,
    )
    deal_hunters = rows(
        con,
        """
        select is_deal_hunter, count(*) as customers, sum(net_revenue) as net_revenue,
               sum(net_revenue) / sum(orders_count) as avg_order_value,
               avg(orders_count) as orders_per_customer, avg(discounted_item_rate) as discounted_item_rate
        from marts.dim_customers
        where orders_count > 0
        group by is_deal_hunter
        order by is_deal_hunter desc
        """,
    )
    top_deal_hunters = rows(
        con,
        """
        select customer_id, orders_count, net_revenue, avg_order_value, discounted_item_rate, lifecycle_stage,
               rfm_segment, acquisition_campaign
        from marts.dim_customers
        where is_deal_hunter
        order by net_revenue desc, customer_id
        limit 20
        """,
    )

emit(
    {
        "daily": daily,
        "retention": retention,
        "by_type": by_type,
        "second_order": second_order,
        "deal_hunters": deal_hunters,
        "top_deal_hunters": top_deal_hunters,
    }
)
