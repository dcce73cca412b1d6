"""The CRM playbook marts (dbt/models/marts/customer/playbook) on a real build, against figures computed here in
plain Python from the raw tables (never the marts' SQL restated): which contacts converted, which paid orders each
contact is credited with, which SMS broke the cap. Thresholds are read from dbt_project.yml."""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import json
import shutil
import statistics
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import run_dbt

REPO = Path(__file__).resolve().parent.parent
VARS = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text())["vars"]


@pytest.fixture(scope="module")
def contact_truth(warehouse):
    """Per contact, worked out from raw.contact_log and raw.orders (paid): converted?, credited orders and revenue
    (last touch), cap breach."""
    window = dt.timedelta(days=VARS["contact_conversion_window_days"])
    as_of = warehouse.scalar("select max(as_of_date) from raw.run_context", db="build")
    contacts = warehouse.query(
        "select distinct contact_id, customer_id, channel, purpose, sent_at from raw.contact_log "
        "where customer_id is not null",
        db="build",
    )
    contacts = [c for c in contacts if c[4].date() <= as_of]
    orders = warehouse.query(
        "select distinct order_id, customer_id, ordered_at, net_amount from raw.orders "
        "where status = 'paid' and customer_id is not null",
        db="build",
    )
    order_times = defaultdict(list)
    for _, customer, ordered_at, _ in orders:
        order_times[customer].append(ordered_at)
    for times in order_times.values():
        times.sort()
    contacts_of = defaultdict(list)
    for contact in contacts:
        contacts_of[contact[1]].append(contact)
    for listed in contacts_of.values():
        listed.sort(key=lambda c: (c[4], c[0]))

    truth = {}
    for contact_id, customer, channel, purpose, sent_at in contacts:
        times = order_times.get(customer, [])
        first_after = bisect.bisect_left(times, sent_at)
        converted = first_after < len(times) and times[first_after].date() <= sent_at.date() + window
        truth[contact_id] = {
            "channel": channel,
            "purpose": purpose,
            "week": sent_at.date() - dt.timedelta(days=sent_at.weekday()),
            "complete": sent_at.date() + window <= as_of,
            "converted": converted,
            "orders": 0,
            "revenue": Decimal("0"),
            "breach": False,
        }
    for _, customer, ordered_at, net_amount in orders:
        before = [c for c in contacts_of.get(customer, []) if c[4] <= ordered_at]
        if before and ordered_at.date() <= before[-1][4].date() + window:
            credited = truth[before[-1][0]]
            credited["orders"] += 1
            credited["revenue"] += Decimal(str(net_amount))
    cap, cap_days = VARS["outreach_sms_cap"], VARS["outreach_sms_cap_window_days"]
    for listed in contacts_of.values():
        sms = [c for c in listed if c[2] == "sms"]
        for i, contact in enumerate(sms):
            # cap + 1 SMS within the cap window ending on this one's day
            if i >= cap and sms[i - cap][4].date() > contact[4].date() - dt.timedelta(days=cap_days):
                truth[contact[0]]["breach"] = True
    return truth


def test_each_contact_converts_and_is_credited_as_computed_from_raw(warehouse, contact_truth):
    rows = warehouse.query(
        "select contact_id, is_converted, attributed_orders, attributed_revenue, breaks_sms_cap, is_window_complete "
        "from marts.mart_contact_effectiveness"
    )
    assert len(rows) == len(contact_truth)
    mart = {r[0]: r[1:] for r in rows}
    assert set(mart) == set(contact_truth)
    wrong = [
        (contact_id, mart[contact_id], t)
        for contact_id, t in contact_truth.items()
        if mart[contact_id] != (t["converted"], t["orders"], t["revenue"], t["breach"], t["complete"])
    ]
    assert wrong == [], wrong[:5]
    # the data has all the cases: converted and not, credited, several credited orders, cap breaches
    values = list(contact_truth.values())
    assert 0 < sum(t["converted"] for t in values) < len(values) / 2
    assert any(t["orders"] >= 2 for t in values)
    assert sum(t["breach"] for t in values) > 0
    assert not any(t["breach"] for t in values if t["channel"] != "sms")
    # last touch credits a paid order at most once
    credited = warehouse.scalar("select sum(attributed_orders) from marts.mart_contact_effectiveness")
    paid = warehouse.scalar("select count(*) from marts.fct_orders where is_paid")
    assert 0 < credited < paid


def test_weekly_rollup_by_purpose_and_channel(warehouse, contact_truth):
    expected = defaultdict(lambda: [0, 0, 0, 0, Decimal("0"), 0])
    for t in contact_truth.values():
        row = expected[(t["week"], t["purpose"], t["channel"])]
        row[0] += 1
        row[1] += t["complete"]
        row[2] += t["complete"] and t["converted"]
        row[3] += t["orders"]
        row[4] += t["revenue"]
        row[5] += t["breach"]
    rows = warehouse.query(
        "select sent_week, purpose, channel, contacts, complete_contacts, converted_contacts, attributed_orders, "
        "attributed_revenue, sms_cap_breaches, conversion_rate from marts.mart_contact_effectiveness_weekly"
    )
    mart = {r[:3]: list(r[3:9]) for r in rows}
    assert mart == {key: value for key, value in expected.items()}
    for r in rows:
        complete, converted, rate = r[4], r[5], r[9]
        assert rate == (pytest.approx(converted / complete) if complete else None), r
    # every week since the first contact, Mondays only
    weeks = sorted({r[0] for r in rows})
    assert all(w.weekday() == 0 for w in weeks)


def test_dim_customers_heavy_users_aov_bands_and_last_order_items(warehouse):
    as_of = warehouse.scalar("select max(as_of_date) from raw.run_context", db="build")
    orders = warehouse.query(
        "select distinct order_id, customer_id, ordered_at, net_amount from raw.orders "
        "where status = 'paid' and customer_id is not null",
        db="build",
    )
    lines = warehouse.query("select distinct order_id, line_number, sku from raw.order_items", db="build")
    category = dict(warehouse.query("select distinct sku, category from raw.products", db="build"))
    year_ago = as_of - dt.timedelta(days=365)
    last_year, count, revenue, last = defaultdict(int), defaultdict(int), defaultdict(Decimal), {}
    for order_id, customer, ordered_at, net_amount in orders:
        count[customer] += 1
        revenue[customer] += Decimal(str(net_amount))
        last_year[customer] += year_ago < ordered_at.date() <= as_of
        last[customer] = max(last.get(customer, (ordered_at, order_id)), (ordered_at, order_id))
    items_of = defaultdict(list)
    for order_id, _line, sku in sorted(lines, key=lambda r: (r[0], r[1])):
        items_of[order_id].append(sku)
    bands = sorted(VARS["aov_bands"], key=lambda band: band[1])

    def band(aov: Decimal) -> str:
        return [label for label, lower in bands if aov >= lower][-1]

    rows = warehouse.query(
        "select customer_id, orders_last_365d, is_heavy_user, aov_band, last_order_id, last_order_items, "
        "last_order_categories, list_contains(tags, 'heavy_user') from marts.dim_customers"
    )
    wrong = []
    for customer, in_year, heavy, aov_band, last_id, items, categories, tagged in rows:
        if customer not in count:
            expected = (0, False, None, None, None, None, False)
        else:
            order_id = last[customer][1]
            skus = items_of[order_id]
            aov = (revenue[customer] / count[customer]).quantize(Decimal("0.01"))
            expected = (
                last_year[customer],
                last_year[customer] >= VARS["heavy_user_min_orders_365d"],
                band(aov),
                order_id,
                skus,
                sorted({category[s] for s in skus if category.get(s)}),
                last_year[customer] >= VARS["heavy_user_min_orders_365d"],
            )
        if (in_year, heavy, aov_band, last_id, items, categories, tagged) != expected:
            wrong.append((customer, expected))
    assert wrong == [], wrong[:5]
    # heavy by the last year, not lifetime: some lifetime 3+ buyers are not heavy, and the reverse never holds
    lifetime_not_heavy = sum(1 for c in count if count[c] >= 3 and last_year[c] < 3)
    assert lifetime_not_heavy > 0
    assert {r[3] for r in rows} >= {label for label, _ in bands}
    assert any(len(r[5] or []) >= 2 for r in rows)


def test_rfm_segments_carry_the_change_since_the_previous_month_end(warehouse):
    sizes = defaultdict(dict)
    month_ends = set()
    for snapshot, month_end, segment, customers in warehouse.query(
        "select snapshot_date, is_month_end, segment, count(*) from marts.mart_customer_rfm group by all"
    ):
        sizes[snapshot][segment] = customers
        if month_end:
            month_ends.add(snapshot)
    rows = warehouse.query(
        "select snapshot_date, segment, customers, previous_month_end_date, previous_month_end_customers, "
        "customers_change from marts.mart_rfm_segments"
    )
    for snapshot, segment, customers, previous, previous_customers, change in rows:
        earlier = [m for m in month_ends if m < snapshot]
        if not earlier:
            assert (previous, previous_customers, change) == (None, None, None)
            continue
        expected_previous = max(earlier)
        expected = sizes[expected_previous].get(segment, 0)
        assert (previous, previous_customers, change) == (expected_previous, expected, customers - expected)
    # the as-of day (2026-06-30) is itself a month end: its previous month end is 2026-05-31
    current = warehouse.query("select distinct previous_month_end_date from marts.mart_rfm_segments where is_current")
    assert current == [(dt.date(2026, 5, 31),)]


def _tier(orders_before: int) -> str | None:
    bounds = sorted(VARS["purchase_tier_lower_bounds"])
    labels = [
        f"{low}+" if i == len(bounds) - 1 else (str(low) if bounds[i + 1] - 1 == low else f"{low}-{bounds[i + 1] - 1}")
        for i, low in enumerate(bounds)
    ]
    fitting = [label for low, label in zip(bounds, labels, strict=True) if orders_before >= low]
    return fitting[-1] if fitting else None


def test_discount_governance_finds_every_loyal_order_above_the_cap(warehouse):
    orders = warehouse.query(
        "select distinct order_id, customer_id, ordered_at, gross_amount, discount_amount from raw.orders "
        "where status = 'paid' and customer_id is not null",
        db="build",
    )
    by_customer = defaultdict(list)
    for order in orders:
        by_customer[order[1]].append(order)
    cap = Decimal(str(VARS["outreach_loyal_max_discount_rate"]))
    expected = {}
    for listed in by_customer.values():
        for before, (order_id, _, _, gross, discount) in enumerate(sorted(listed, key=lambda o: (o[2], o[0]))):
            tier = _tier(before)
            allowed = (Decimal(str(gross)) * cap).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
            loyal = tier in VARS["outreach_loyal_tiers"]
            expected[order_id] = (tier, loyal, loyal and Decimal(str(discount)) > allowed)
    mart = {
        r[0]: r[1:]
        for r in warehouse.query(
            "select order_id, tier_at_order, is_loyal_at_order, breaks_loyal_cap from marts.mart_discount_governance"
        )
    }
    assert mart == expected
    breaches = [e for e in expected.values() if e[2]]
    assert breaches and len(breaches) < sum(e[1] for e in expected.values())


def test_discount_share_by_sku_style_and_category(warehouse):
    lines = warehouse.query(
        "select distinct items.order_id, items.line_number, items.sku, products.style, products.category, "
        "items.quantity, items.list_unit_price, items.paid_unit_price "
        "from raw.order_items as items join raw.orders as orders using (order_id) "
        "left join raw.products as products using (sku) where orders.status = 'paid'",
        db="build",
    )
    expected = defaultdict(lambda: [0, 0, Decimal("0")])
    for _, _, sku, style, category, quantity, list_price, paid_price in lines:
        for key in (("sku", sku), ("style", style), ("category", category)):
            row = expected[key]
            row[0] += quantity
            row[1] += quantity if paid_price < list_price else 0
            row[2] += quantity * (Decimal(str(list_price)) - Decimal(str(paid_price)))
    rows = warehouse.query(
        "select dimension, dimension_value, units, discounted_units, discount_amount, discount_money_rank "
        "from marts.mart_discount_share"
    )
    assert {r[:2]: list(r[2:5]) for r in rows} == dict(expected)
    for dimension in ("sku", "style", "category"):
        top = max((v[2], k[1]) for k, v in expected.items() if k[0] == dimension)
        assert (dimension, top[1], 1) in {(r[0], r[1], r[5]) for r in rows}


def test_new_skus_sold_on_campaign_days(warehouse):
    max_age = VARS["new_sku_max_age_days"]
    lines = warehouse.query(
        "select distinct items.order_id, items.line_number, items.sku, products.launch_date, orders.ordered_at, "
        "items.quantity from raw.order_items as items join raw.orders as orders using (order_id) "
        "join raw.products as products using (sku) "
        "where orders.status = 'paid' and orders.campaign_code is not null",
        db="build",
    )
    expected = defaultdict(int)
    for _, _, sku, launch_date, ordered_at, quantity in lines:
        if 0 <= (ordered_at.date() - launch_date).days <= max_age:
            expected[(ordered_at.date(), sku)] += quantity
    rows = warehouse.query("select campaign_date, sku, units from marts.mart_new_sku_campaign_sales")
    assert {r[:2]: r[2] for r in rows} == dict(expected)
    assert expected, "the simulator drops new SKUs every Tuesday: some sell on campaign days"


def _drops(warehouse) -> tuple[dict, dict]:
    """New drops from raw.products: SKU -> (style, launch Monday) for SKUs launched after the opening day, and each
    drop's day 1 (its SKUs' earliest launch day)."""
    products = warehouse.query("select distinct sku, style, category, launch_date from raw.products", db="build")
    opening = min(p[3] for p in products)
    drop_of, drop_date = {}, {}
    for sku, style, _, launch_date in products:
        if launch_date > opening and style is not None:
            key = (style, launch_date - dt.timedelta(days=launch_date.weekday()))
            drop_of[sku] = key
            drop_date[key] = min(drop_date.get(key, launch_date), launch_date)
    return drop_of, drop_date


def _paid_orders(warehouse) -> dict[str, list[tuple]]:
    """Per customer, their paid orders in paid-order sequence: (ordered_at, order_id, campaign_code, discount, net)."""
    by_customer = defaultdict(list)
    for order_id, customer, ordered_at, code, discount, net in warehouse.query(
        "select distinct order_id, customer_id, ordered_at, campaign_code, discount_amount, net_amount "
        "from raw.orders where status = 'paid' and customer_id is not null",
        db="build",
    ):
        by_customer[customer].append((ordered_at, order_id, code, Decimal(str(discount)), Decimal(str(net))))
    for listed in by_customer.values():
        listed.sort(key=lambda o: (o[0], o[1]))
    return by_customer


def test_product_drops_sell_through_and_early_adopters(warehouse):
    """Per drop (style x launch week after the opening day): units by day 1/7/30 and to date, buyers, early
    adopters and the repeat customers among them; per customer the drops adopted early (dim_customers)."""
    early_days = VARS["drop_early_adopter_days"]
    as_of = warehouse.scalar("select max(as_of_date) from raw.run_context", db="build")
    products = warehouse.query("select distinct sku, style, category, launch_date from raw.products", db="build")
    opening = min(p[3] for p in products)
    drop_of, drops = {}, defaultdict(list)
    for sku, style, category, launch_date in products:
        if launch_date > opening and style is not None:
            key = (style, launch_date - dt.timedelta(days=launch_date.weekday()))
            drop_of[sku] = key
            drops[key].append((category, launch_date))
    drop_date = {key: min(d for _, d in listed) for key, listed in drops.items()}
    orders = warehouse.query(
        "select distinct order_id, customer_id, ordered_at from raw.orders "
        "where status = 'paid' and customer_id is not null",
        db="build",
    )
    number, by_customer = {}, defaultdict(list)
    for order_id, customer, ordered_at in orders:
        by_customer[customer].append((ordered_at, order_id))
    for listed in by_customer.values():
        for n, (_, order_id) in enumerate(sorted(listed), start=1):
            number[order_id] = n
    paid = {order_id: (customer, ordered_at) for order_id, customer, ordered_at in orders}
    lines = warehouse.query("select distinct order_id, line_number, sku, quantity from raw.order_items", db="build")
    units = defaultdict(lambda: [0, 0, 0, 0])
    first_buy = {}  # (drop, customer) -> (ordered_at, order_id, days after the drop day)
    for order_id, _, sku, quantity in lines:
        if order_id not in paid or sku not in drop_of:
            continue
        key, (customer, ordered_at) = drop_of[sku], paid[order_id]
        days = (ordered_at.date() - drop_date[key]).days
        if days < 0:
            continue
        for i, limit in enumerate((1, 7, 30, None)):
            units[key][i] += quantity if limit is None or days < limit else 0
        first_buy[(key, customer)] = min(
            first_buy.get((key, customer), (ordered_at, order_id, days)), (ordered_at, order_id, days)
        )
    buyers, adopters, repeat = defaultdict(int), defaultdict(int), defaultdict(int)
    adopted = defaultdict(int)
    for (key, customer), (_, order_id, days) in first_buy.items():
        buyers[key] += days < 30
        if days < early_days:
            adopters[key] += 1
            repeat[key] += number[order_id] > 1
            adopted[customer] += 1
    expected = {}
    for key, listed in drops.items():
        u = units[key]
        expected[key] = (
            min(c for c, _ in listed),
            drop_date[key],
            len(listed),
            drop_date[key] + dt.timedelta(days=29) <= as_of,
            *u,
            pytest.approx(u[1] / u[2]) if u[2] else None,
            buyers[key],
            adopters[key],
            repeat[key],
            pytest.approx(repeat[key] / adopters[key]) if adopters[key] else None,
        )
    rows = warehouse.query(
        "select style, launch_week, category, drop_date, skus_count, is_day_30_complete, units_day_1, units_day_7, "
        "units_day_30, units_to_date, day_7_share_of_day_30_rate, buyers_day_30, early_adopters, "
        "repeat_early_adopters, repeat_early_adopter_rate from marts.mart_product_drops"
    )
    assert {r[:2]: r[2:] for r in rows} == expected
    customers = warehouse.query(
        "select customer_id, early_adopted_drops, is_early_adopter, tags from marts.dim_customers"
    )
    wrong = [
        c
        for c in customers
        if (c[1], c[2], "early_adopter" in c[3]) != (adopted[c[0]], adopted[c[0]] > 0, adopted[c[0]] > 0)
    ]
    assert wrong == [], wrong[:5]
    # the data has all the cases: drops bought first by repeat customers and by new ones, a drop whose 30 days are
    # not over, a drop that sold nothing on its day, customers who adopted several drops early
    values = list(expected.values())
    assert any(v[-2] > 0 for v in values) and any(v[-3] > v[-2] for v in values)
    assert any(not v[3] for v in values) and any(v[4] == 0 for v in values)
    assert max(adopted.values()) >= 2


def _calendar() -> list[tuple[dt.date, str]]:
    with open(REPO / "dbt" / "seeds" / "campaign_calendar.csv", newline="", encoding="utf-8") as f:
        return [(dt.date.fromisoformat(r["campaign_date"]), r["campaign_code"]) for r in csv.DictReader(f)]


def test_campaign_orders_fall_on_the_campaign_calendar(warehouse):
    days = set(_calendar())
    coded = warehouse.query(
        "select distinct cast(ordered_at as date), campaign_code from raw.orders where campaign_code is not null",
        db="build",
    )
    assert coded and [d for d in coded if d not in days] == []


def test_campaign_notify_list_is_the_deep_discount_cohort_before_the_next_campaign(warehouse):
    as_of = warehouse.scalar("select max(as_of_date) from raw.run_context", db="build")
    next_day, next_code = min(d for d in _calendar() if d[0] > as_of)
    notify = next_day - dt.timedelta(days=VARS["campaign_notify_days_before"])
    cohort = {c for c, orders in _paid_orders(warehouse).items() if orders[0][2] is not None}
    reach = {
        c: (bool(phone), bool(email))
        for c, phone, email in warehouse.query(
            "select distinct customer_id, phone, email from raw.customers", db="build"
        )
    }
    sms = defaultdict(int)
    for _, customer, sent_at in warehouse.query(
        "select distinct contact_id, customer_id, sent_at from raw.contact_log where channel = 'sms'", db="build"
    ):
        if notify - dt.timedelta(days=VARS["outreach_sms_cap_window_days"]) < sent_at.date() <= as_of:
            sms[customer] += 1
    expected = {}
    for customer in cohort:
        phone, email = reach[customer]
        channel = "sms" if phone and sms[customer] + 1 <= VARS["outreach_sms_cap"] else "email" if email else None
        if channel:
            expected[customer] = (next_day, next_code, notify, as_of >= notify, channel, sms[customer])
    rows = warehouse.query(
        "select customer_id, next_campaign_date, next_campaign_code, notify_date, is_notify_due, suggested_channel, "
        "sms_in_cap_window from marts.mart_campaign_notify_list"
    )
    assert {r[0]: r[1:] for r in rows} == expected
    assert len(expected) > 100 and {e[4] for e in expected.values()} == {"sms", "email"}


def test_campaign_cohort_journey_next_order_price_level_new_drop_and_aov(warehouse):
    drop_of, drop_date = _drops(warehouse)
    max_age = VARS["new_sku_max_age_days"]
    skus_of = defaultdict(set)
    for order_id, sku in warehouse.query("select distinct order_id, sku from raw.order_items", db="build"):
        skus_of[order_id].add(sku)
    cohorts = defaultdict(list)
    for orders in _paid_orders(warehouse).values():
        if orders[0][2] is not None:
            cohorts[(orders[0][0].date(), orders[0][2])].append(orders[:2])
    expected = {}
    for key, journeys in cohorts.items():
        back = [j for j in journeys if len(j) == 2]
        new_drop = [
            j
            for j in back
            if any(
                sku in drop_of and 0 <= (j[1][0].date() - drop_date[drop_of[sku]]).days <= max_age
                for sku in skus_of[j[1][1]]
            )
        ]
        first_aov = sum(j[0][4] for j in back) / len(back) if back else None
        next_aov = sum(j[1][4] for j in back) / len(back) if back else None
        expected[key] = {
            "counts": (
                len(journeys),
                len(back),
                sum(j[1][3] == 0 for j in back),
                sum(j[1][3] > 0 for j in back),
                len(new_drop),
                sum(j[1][2] is not None for j in back),
            ),
            "median_days": statistics.median([(j[1][0].date() - j[0][0].date()).days for j in back]) if back else None,
            "aov": (sum(j[0][4] for j in journeys) / len(journeys), first_aov, next_aov),
        }
    rows = warehouse.query(
        "select cohort_date, campaign_code, cohort_customers, next_orders, next_full_price_orders, "
        "next_discounted_orders, next_new_drop_orders, next_campaign_orders, median_days_to_next_order, "
        "first_order_aov, returners_first_order_aov, next_order_aov, aov_change, next_full_price_rate "
        "from marts.mart_campaign_cohort_journey"
    )
    assert {r[:2] for r in rows} == set(expected)
    for r in rows:
        e = expected[r[:2]]
        assert r[2:8] == e["counts"], (r, e)
        assert r[8] == e["median_days"], (r, e)
        # AOVs: means of cents, rounded to the cent by the mart
        for got, want in zip(r[9:12], e["aov"], strict=True):
            assert (got, want) == (None, None) or abs(got - want) <= Decimal("0.005") + Decimal("1e-9"), (r, e)
        if e["aov"][2] is not None:
            assert abs(r[12] - (e["aov"][2] - e["aov"][1])) <= Decimal("0.005"), (r, e)
        assert r[13] == (pytest.approx(e["counts"][2] / e["counts"][1]) if e["counts"][1] else None)
    totals = [sum(e["counts"][i] for e in expected.values()) for i in range(6)]
    # the data has all the cases: returners at full price and discounted, next orders with a new drop
    assert totals[1] > 0 and totals[2] > 0 and totals[3] > 0 and totals[4] > 0, totals


def test_day_50_care_touch_for_the_campaign_cohort_without_discount(warehouse, tmp_path):
    """The care day is a var: on the default build (day 50 after 2026-06-30 is no campaign day) nobody is due; a run
    with the day set to 200 (2025-12-12, Double 12) lists that cohort's one-order customers, discount 0."""
    assert (
        warehouse.scalar(
            "select count(*) from marts.mart_outreach_candidates where outreach_reason = 'campaign_cohort_care'"
        )
        == 0
    )
    db = tmp_path / "build.duckdb"
    shutil.copy(warehouse.build_db, db)
    care_day = 200
    run_dbt(
        db,
        tmp_path,
        "run",
        "-s",
        "mart_outreach_candidates",
        "--vars",
        json.dumps({"outreach_campaign_care_day": care_day}),
    )
    as_of = warehouse.scalar("select max(as_of_date) from raw.run_context", db="build")
    due = {
        c
        for c, orders in _paid_orders(warehouse).items()
        if len(orders) == 1 and orders[0][2] is not None and (as_of - orders[0][0].date()).days == care_day
    }
    with duckdb.connect(str(db), read_only=True) as con:
        listed = con.execute(
            "select customer_id, max_discount_rate, days_since_last_contact from marts.mart_outreach_candidates "
            "where outreach_reason = 'campaign_cohort_care'"
        ).fetchall()
        left_out = con.execute(
            "select customer_id from marts.dim_customers where customer_id in (select unnest($due)) "
            "and customer_id not in (select customer_id from marts.mart_outreach_candidates)",
            {"due": sorted(due)},
        ).fetchall()
    assert len(listed) > 20 and {r[0] for r in listed} <= due
    assert {r[1] for r in listed} == {0.0}
    # the others due were left out by the contact rules (contacted too recently, or no channel left)
    assert {r[0] for r in listed} | {r[0] for r in left_out} == due
