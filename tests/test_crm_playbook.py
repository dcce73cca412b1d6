"""The CRM playbook marts (dbt/models/marts/customer/playbook) on a real build, against figures computed here in
plain Python from the raw tables (never the marts' SQL restated): which contacts converted, which paid orders each
contact is credited with, which SMS broke the cap. Thresholds are read from dbt_project.yml."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

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
