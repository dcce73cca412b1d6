"""Supply-quality page data: factory ranking, monthly scorecard trends, decline alerts, supplier compliance."""

from _serving import connect, dbt_var, emit, rows

with connect() as con:
    ranking = rows(
        con,
        """
        select factory_id, factory_name, as_of_date, window_start_date, window_end_date, deliveries_count,
               on_time_rate, in_full_rate, otif_rate, pass_rate, defect_ppm, score, tier, rank,
               previous_score, previous_rank, previous_rank - rank as rank_change, score_change, trend,
               strongest_indicator, weakest_indicator
        from marts.mart_factory_ranking
        order by rank
        """,
    )
    scorecard = rows(
        con,
        """
        select factory_id, factory_name, period_start, is_period_complete, deliveries_count,
               on_time_rate, in_full_rate, pass_rate, score, tier, rank
        from marts.mart_factory_scorecard
        where period_grain = 'month'
        order by factory_id, period_start
        """,
    )
    alerts = rows(
        con,
        """
        select alert_id, factory_id, factory_name, alert_type, indicator, opened_date, closed_date, status,
               severity, recent_value, baseline_value, value_drop, max_drop, last_breach_date
        from marts.mart_factory_alerts
        order by opened_date, factory_id, indicator
        """,
    )
    compliance = rows(
        con,
        """
        select factory_id, factory_name, month_start, material_spend_amount, designated_spend_amount,
               designated_spend_share, rolling_designated_spend_share, previous_designated_spend_share,
               designated_share_change, compliance_trend
        from marts.mart_factory_supplier_compliance
        order by factory_id, month_start
        """,
    )

emit(
    {
        "ranking": ranking,
        "scorecard": scorecard,
        "alerts": alerts,
        "compliance": compliance,
        "tier_floor": dbt_var("supply_tier_acceptable_min_score"),
        "tier_preferred": dbt_var("supply_tier_preferred_min_score"),
    }
)
