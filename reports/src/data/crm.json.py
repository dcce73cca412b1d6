"""CRM page data: segments now and since the last month end, migration, lifecycle, repurchase gaps, outreach."""

from _serving import connect, dbt_var, emit, rows

LIFECYCLE_ORDER = ["new", "active", "at_risk", "dormant", "lost"]

with connect() as con:
    as_of = con.execute("select max(snapshot_date) from marts.mart_rfm_segments where is_current").fetchone()[0]
    segments = rows(
        con,
        """
        select segment, customers, customer_share_rate, revenue, revenue_share_rate,
               previous_month_end_date, previous_month_end_customers, customers_change
        from marts.mart_rfm_segments
        where is_current
        order by customers desc, segment
        """,
    )
    # the moves into the current snapshot, from the month end before it
    migration = rows(
        con,
        """
        select from_snapshot_date, to_snapshot_date, from_segment, to_segment, customers, from_segment_share_rate
        from marts.mart_segment_migration
        where to_snapshot_date = (select max(to_snapshot_date) from marts.mart_segment_migration)
        order by from_segment, to_segment
        """,
    )
    lifecycle = rows(
        con,
        """
        select lifecycle_stage, count(*) as customers, sum(net_revenue) as net_revenue
        from marts.dim_customers
        where lifecycle_stage is not null
        group by lifecycle_stage
        """,
    )
    lifecycle.sort(key=lambda row: LIFECYCLE_ORDER.index(row["lifecycle_stage"]))
    # days between consecutive paid orders, one bar per day up to p99 (the tail is a few long gaps)
    gaps = rows(
        con,
        """
        with gaps as (
            select days_since_previous_order as days
            from marts.fct_orders
            where is_paid and days_since_previous_order is not null
        )
        select days, count(*) as gaps
        from gaps
        where days <= (select quantile_disc(days, 0.99) from gaps)
        group by days
        order by days
        """,
    )
    cycle = rows(
        con,
        """
        select gaps_count, p25_days, median_days, p75_days, p90_days, mean_days
        from marts.mart_repurchase_cycle
        where dimension = 'overall'
        """,
    )[0]
    outreach_by_reason = rows(
        con,
        """
        select outreach_reason, suggested_channel, count(*) as customers
        from marts.mart_outreach_candidates
        group by all
        order by outreach_reason, suggested_channel
        """,
    )
    outreach = rows(
        con,
        """
        select priority_rank, customer_id, outreach_reason, suggested_channel, max_discount_rate, is_loyal,
               purchase_tier, lifecycle_stage, rfm_segment, orders_count, net_revenue, days_since_last_order,
               expected_next_order_date, recent_sms_count, days_since_last_contact, phone_masked, email_masked
        from marts.mart_outreach_candidates
        order by priority_rank
        limit 200
        """,
    )
    outreach_count = con.execute("select count(*) from marts.mart_outreach_candidates").fetchone()[0]

# The brand's cycle C is the var when set, else the measured median (the rule of dim_customers' lifecycle);
# repurchase_due outreach starts outreach_repurchase_offset_days after the expected next order (last + C).
cycle_days = dbt_var("repurchase_cycle_days")
cycle_days = round(cycle["median_days"]) if cycle_days is None else cycle_days
emit(
    {
        "as_of": as_of,
        "segments": segments,
        "migration": migration,
        "lifecycle": lifecycle,
        "gaps": gaps,
        "cycle": {**cycle, "cycle_days": cycle_days},
        "outreach_day": cycle_days + dbt_var("outreach_repurchase_offset_days"),
        "outreach_follow_up_day": dbt_var("outreach_follow_up_day"),
        "outreach_by_reason": outreach_by_reason,
        "outreach_count": outreach_count,
        "outreach": outreach,
    }
)
