"""Customer retention marts on a real build: the simulator's planted truths (docs/simulator.md) come back out
of the marts, and the outreach list keeps the contact rules. Thresholds are read from dbt_project.yml, never
repeated here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
VARS = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text())["vars"]


def test_repurchase_cycle_median_is_the_planted_45_days(warehouse):
    median = warehouse.scalar(
        "select median_days from marts.mart_repurchase_cycle where dimension = 'overall' and dimension_value = 'all'"
    )
    assert 40 <= median <= 50, median
    # loyal customers buy more often: the 10+ tier's median gap is shorter than the 2-order tier's
    by_tier = dict(
        warehouse.query(
            "select dimension_value, median_days from marts.mart_repurchase_cycle where dimension = 'purchase_tier'"
        )
    )
    assert by_tier["10+"] < by_tier["2"], by_tier


def test_campaign_cohort_second_order_rate_is_about_half_the_rest(warehouse):
    rates = dict(
        warehouse.query(
            """
            select cohort_type, sum(second_order_90d_rate * cohort_customers) / sum(cohort_customers)
            from marts.mart_cohort_retention
            where months_since_first_order = 0 and second_order_90d_rate is not null
            group by cohort_type
            """
        )
    )
    ratio = rates["deep_discount"] / rates["regular"]
    assert 0.35 <= ratio <= 0.65, rates
    # immature cohorts are left out of each window: the newest month has no 90-day rate
    newest = warehouse.query(
        "select second_order_30d_rate, second_order_90d_rate from marts.mart_cohort_retention "
        "where cohort_month = (select max(cohort_month) from marts.mart_cohort_retention) limit 1"
    )[0]
    assert newest == (None, None)


def test_deal_hunter_share_among_customers_with_a_basket(warehouse):
    share = warehouse.scalar(
        f"select avg(is_deal_hunter::int) from marts.dim_customers where items_count >= {VARS['deal_hunter_min_items']}"
    )
    assert 0.03 <= share <= 0.07, share


def test_one_time_buyer_share_and_tiers(warehouse):
    share = warehouse.scalar("select avg((orders_count = 1)::int) from marts.dim_customers where orders_count >= 1")
    assert 0.55 <= share <= 0.65, share
    tiers = dict(warehouse.query("select purchase_tier, count(*) from marts.dim_customers group by all"))
    assert {"1", "2", "3-4", "5-9", "10+"} <= set(tiers), tiers
    total = sum(n for tier, n in tiers.items() if tier is not None)
    assert tiers["10+"] / total >= 0.02
    tagged = warehouse.scalar(
        "select count(*) from marts.dim_customers where orders_count = 1 and not list_contains(tags, 'one_time_buyer')"
    )
    assert tagged == 0


def test_outreach_never_breaks_the_sms_cap_counting_contact_log(warehouse):
    cap, window = VARS["outreach_sms_cap"], VARS["outreach_sms_cap_window_days"]
    sms_counts = f"""
        select customer_id, count(*) as sms_in_window
        from staging.stg_shop__contact_log
        where channel = 'sms'
            and cast(sent_at as date) > (select max(as_of_date) from raw.run_context) - {window}
            and cast(sent_at as date) <= (select max(as_of_date) from raw.run_context)
        group by customer_id
    """
    heavy = warehouse.scalar(f"select count(*) from ({sms_counts}) where sms_in_window >= {cap}", db="build")
    assert heavy > 0, "the simulator plants customers with 3+ SMS in 30 days; none found"
    breaking = warehouse.query(
        f"""
        select outreach.customer_id, sms_counts.sms_in_window
        from marts.mart_outreach_candidates as outreach
        left join ({sms_counts}) as sms_counts using (customer_id)
        where outreach.suggested_channel = 'sms' and coalesce(sms_counts.sms_in_window, 0) + 1 > {cap}
        """,
        db="build",
    )
    assert breaking == []
    # the mart's own count agrees with contact_log
    disagree = warehouse.scalar(
        f"""
        select count(*) from marts.mart_outreach_candidates as outreach
        left join ({sms_counts}) as sms_counts using (customer_id)
        where outreach.recent_sms_count <> coalesce(sms_counts.sms_in_window, 0)
        """,
        db="build",
    )
    assert disagree == 0
    recently_contacted = warehouse.scalar(
        f"select count(*) from marts.mart_outreach_candidates "
        f"where days_since_last_contact < {VARS['outreach_min_days_since_contact']}"
    )
    assert recently_contacted == 0


def test_outreach_caps_loyal_discounts(warehouse):
    cap = VARS["outreach_loyal_max_discount_rate"]
    loyal_max, other_max, loyal_rows = warehouse.query(
        "select max(max_discount_rate) filter (where is_loyal), max(max_discount_rate) filter (where not is_loyal), "
        "count(*) filter (where is_loyal) from marts.mart_outreach_candidates"
    )[0]
    assert loyal_rows > 0
    assert loyal_max <= cap
    assert other_max > cap  # the cap is what holds loyal customers back, not the reason rates
    reasons = {r for (r,) in warehouse.query("select distinct outreach_reason from marts.mart_outreach_candidates")}
    assert {"high_value_at_risk", "dormant_wake_up", "repurchase_due"} <= reasons, reasons


def test_current_rfm_snapshot_covers_every_buyer_once(warehouse):
    buyers, current_rows, distinct_current = warehouse.query(
        "select (select count(*) from marts.dim_customers where orders_count > 0), count(*), "
        "count(distinct customer_id) from marts.mart_customer_rfm where is_current"
    )[0]
    assert buyers == current_rows == distinct_current
    month_ends = warehouse.scalar(
        "select count(distinct snapshot_date) from marts.mart_customer_rfm where is_month_end"
    )
    assert month_ends >= 20


PHONE = re.compile(r"^\+?1\d{10}$")
EMAIL = re.compile(r"^[^*@\s]{2,}@")


@pytest.mark.parametrize("pattern", [PHONE, EMAIL], ids=["phone", "email"])
def test_no_raw_phone_or_email_in_any_customer_mart(warehouse, pattern):
    columns = warehouse.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and data_type = 'VARCHAR'"
    )
    assert not [c for _, c in columns if c in ("phone", "email")]
    leaks = []
    for table, column in columns:
        hits = warehouse.scalar(
            f'select count(*) from marts."{table}" where regexp_matches("{column}", ?)', [pattern.pattern]
        )
        if hits:
            leaks.append((table, column, hits))
    assert leaks == []
    masked = warehouse.scalar("select count(*) from marts.dim_customers where phone_masked like '%****%'")
    assert masked > 0
