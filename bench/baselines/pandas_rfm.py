"""The pandas baseline: the script an analyst would write (read Parquet, drop duplicates, groupby, rank into
quintiles) for the same RFM scores and factory x month scorecard as the floor and the pipeline.

    python -m bench.baselines.pandas_rfm RAW_DIR AS_OF OUT_DIR

The harness runs it in a subprocess with an address-space limit (BENCH_PANDAS_MEM_GB, default 16); on
MemoryError it prints {"error": "MemoryError", ...} and exits 3, and the bench records null with the reason.
Quintiles use SQL `ntile(5)` semantics (first N % 5 buckets one row larger) on a stable sort, because
`pd.qcut` splits by interpolated quantile edges and would not agree with the SQL row for row.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.baselines import ON_TIME_MAX_DAYS_EARLY, ON_TIME_MAX_DAYS_LATE


def latest(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Same cleaning as staging: keep the latest loaded copy of each key."""
    frame = frame.sort_values(["_loaded_at", "_source"], kind="stable")
    return frame.drop_duplicates(key, keep="last")


def ntile(frame: pd.DataFrame, by: list[str], ascending: list[bool], buckets: int = 5) -> pd.Series:
    order = frame.sort_values(by, ascending=ascending, kind="stable").index
    n = len(order)
    size, extra = divmod(n, buckets)
    position = np.arange(n)
    big = extra * (size + 1)
    bucket = np.where(
        position < big,
        position // max(size + 1, 1),
        extra + (position - big) // max(size, 1),
    )
    return pd.Series(bucket + 1, index=order).reindex(frame.index)


def rfm(raw: Path, as_of: pd.Timestamp) -> pd.DataFrame:
    orders = pd.read_parquet(raw / "orders.parquet")
    orders = latest(orders, ["order_id"])
    orders["ordered_date"] = orders["ordered_at"].dt.normalize()
    paid = orders[(orders["status"] == "paid") & orders["customer_id"].notna() & (orders["ordered_date"] <= as_of)]
    totals = paid.groupby("customer_id", as_index=False).agg(
        last_order_date=("ordered_date", "max"),
        frequency=("order_id", "size"),
        monetary=("net_amount", "sum"),
    )
    totals["recency_days"] = (as_of - totals["last_order_date"]).dt.days
    # quintiles, 5 best; ties broken by the other two measures, then customer_id (as mart_customer_rfm)
    r, f, m, key = "recency_days", "frequency", "monetary", "customer_id"
    totals["r_score"] = ntile(totals, [r, f, m, key], [False, True, True, True])
    totals["f_score"] = ntile(totals, [f, r, m, key], [True, False, True, True])
    totals["m_score"] = ntile(totals, [m, r, f, key], [True, False, True, True])
    return totals[["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score"]]


def scorecard(raw: Path, as_of: pd.Timestamp) -> pd.DataFrame:
    pos = latest(pd.read_parquet(raw / "purchase_orders.parquet"), ["po_id"])
    deliveries = latest(pd.read_parquet(raw / "deliveries.parquet"), ["delivery_id"])
    inspections = latest(pd.read_parquet(raw / "inspections.parquet"), ["inspection_id"])
    for frame, column in ((pos, "promised_date"), (deliveries, "delivered_date"), (inspections, "inspected_date")):
        frame[column] = pd.to_datetime(frame[column])
    delivered = deliveries[deliveries["delivered_date"] <= as_of].merge(
        pos[["po_id", "factory_id", "promised_date"]], on="po_id"
    )
    delivered["month_date"] = delivered["delivered_date"].dt.to_period("M").dt.to_timestamp()
    late = delivered["delivered_date"] - delivered["promised_date"]
    delivered["is_on_time"] = (
        (late <= pd.Timedelta(days=ON_TIME_MAX_DAYS_LATE)) & (late >= -pd.Timedelta(days=ON_TIME_MAX_DAYS_EARLY))
    ).astype(float)
    totals = delivered.groupby(["factory_id", "month_date"], as_index=False).agg(
        deliveries_count=("delivery_id", "size"),
        delivered_units=("quantity", "sum"),
        on_time_rate=("is_on_time", "mean"),
    )
    inspected = inspections[inspections["inspected_date"] <= as_of].merge(
        delivered[["delivery_id", "factory_id", "month_date"]], on="delivery_id"
    )
    quality = inspected.groupby(["factory_id", "month_date"], as_index=False).agg(
        inspected_units=("inspected_qty", "sum"),
        passed_units=("passed_qty", "sum"),
    )
    card = totals.merge(quality, on=["factory_id", "month_date"], how="left")
    card["pass_rate"] = card["passed_units"] / card["inspected_units"].where(card["inspected_units"] > 0)
    card[["inspected_units", "passed_units"]] = card[["inspected_units", "passed_units"]].fillna(0)
    return card


def main(raw_dir: str, as_of: str, out_dir: str) -> int:
    started = time.perf_counter()
    raw, out, day = Path(raw_dir), Path(out_dir), pd.Timestamp(as_of)
    out.mkdir(parents=True, exist_ok=True)
    try:
        rfm(raw, day).to_parquet(out / "rfm.parquet", index=False)
        rfm_s = time.perf_counter() - started
        scorecard(raw, day).to_parquet(out / "scorecard.parquet", index=False)
    except MemoryError as error:
        print(json.dumps({"error": "MemoryError", "detail": str(error)[:200]}))
        return 3
    print(json.dumps({"rfm_s": rfm_s, "total_s": time.perf_counter() - started}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
