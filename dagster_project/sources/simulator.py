"""Deterministic simulator of the raw source: a direct-to-consumer handbag brand in China (CNY).

Why it exists: the warehouse needs realistic raw data with *known* truths planted in it (repeat-purchase
behaviour, campaign cohorts, deal hunters, a factory whose quality slips, a chronically late factory, a factory
that buys off-list materials) so that the marts can be checked against them. `docs/simulator.md` lists the
truths, their measured values and tolerances.

Design rules (why the code looks the way it does):

* **Purity.** The rows of day D are a pure function of (config, D), so a daily run that pulls day D gets
  exactly the rows a backfill over a month would have produced for D. Every random draw comes from a numpy
  Generator seeded by (seed, origin day, entity kind) and the number of draws from a stream never depends on
  the requested range: an entity's whole future (a customer's order timeline, a purchase order's deliveries
  and inspections) is drawn on its origin day, then rows are filtered to the requested partition days.
  Details that only matter on the day a row exists (an order's items and prices, the day's CRM contacts) are
  drawn from the stream of that day, in a deterministic row order.
* **Speed.** Vectorised numpy inside a loop over days; ids and strings are built by Arrow compute kernels.
* **No Dagster import**: the module is plain numpy/pyarrow so tests and notebooks can use it directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources.contract import RAW_TABLES, TABLE_NAMES

__all__ = ["TABLE_ORDER", "SimulatorConfig", "generate"]

# Load order: dimensions first, then facts that reference them.
TABLE_ORDER: tuple[str, ...] = (
    "factories",
    "suppliers",
    "products",
    "customers",
    "orders",
    "order_items",
    "purchase_orders",
    "deliveries",
    "inspections",
    "material_purchases",
    "contact_log",
)
assert sorted(TABLE_ORDER) == sorted(TABLE_NAMES)


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that defines a simulated world; two equal configs give identical data.

    `start_date` is keyword-only (it has no sensible default): the brand opens that day.
    `scale` multiplies the customer base (20,000 * scale sign-ups over 730 days) and, more mildly, the supply
    chain. `days` only places `world_end`, the anchor of the planted supply trends; the world keeps going
    after it. `dirty_rate` is the share of order / order-item rows turned into realistic defects.
    """

    seed: int = 20261122
    scale: float = 1.0
    start_date: dt.date = field(kw_only=True)
    days: int = 730
    dirty_rate: float = 0.0

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ValueError(f"scale must be > 0, got {self.scale}")
        if self.days < 1:
            raise ValueError(f"days must be >= 1, got {self.days}")
        if not 0.0 <= self.dirty_rate <= 1.0:
            raise ValueError(f"dirty_rate must be in [0, 1], got {self.dirty_rate}")

    @property
    def world_end(self) -> dt.date:
        """Last day of the planned history; supply trends are anchored here and hold after it."""
        return self.start_date + dt.timedelta(days=self.days - 1)


# --------------------------------------------------------------------------------------------------------------
# Knobs. Calibrated by simulation (see docs/simulator.md); change them together with the docs.
# --------------------------------------------------------------------------------------------------------------

CUSTOMERS_PER_730_DAYS = 20_000
CAMPAIGN_SIGNUP_SHARE = 0.15  # share of new customers won on campaign days
CAMPAIGNS = ((11, 11, "1111"), (12, 12, "1212"), (6, 18, "618"))

# Order timeline (per customer, drawn on the signup day).
P_ONE_TIMER = 0.49  # never buys again (non-campaign cohort)
CAMPAIGN_REPEAT_FACTOR = 0.5  # campaign cohort: P(repeat) = factor * (1 - P_ONE_TIMER)
LOYALTY_SHAPE = 0.5  # gamma shape of the expected number of further orders beyond the second
LOYALTY_SCALE = 8.0
MAX_FURTHER_ORDERS = 80
GAP_MEDIAN_DAYS = 64.0  # median of a customer's gap scale (true, before window truncation)
GAP_SIGMA = 0.75  # per-gap lognormal sigma
GAP_CUSTOMER_SIGMA = 0.45  # customer-to-customer spread of the gap scale
LOYAL_GAP_SHRINK = 0.12  # loyal customers (many orders) buy a bit more often: scale / (1 + shrink*expected)

# Orders.
DEAL_HUNTER_SHARE = 0.05
DEAL_HUNTER_DISCOUNT_P = 0.99
REGULAR_DISCOUNT_P = 0.22
P_CANCELLED = 0.03
P_REFUNDED = 0.02
CHANNELS = ("tmall", "taobao", "jd", "wechat", "web")
ACQUISITION_P = (0.42, 0.28, 0.18, 0.12)
P_OTHER_CHANNEL = 0.15
HOUR_WEIGHTS = np.array(
    [2, 1, 0.5, 0.3, 0.2, 0.3, 0.6, 1.2, 2, 3, 3.5, 4, 4.5, 4, 3.5, 3.5, 3.8, 4, 4.5, 6, 8, 9, 8, 5], dtype=float
)
HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()

# CRM.
HEAVY_SMS_SHARE = 0.025
HEAVY_SMS_DAILY_P = 0.10
REGULAR_CONTACT_DAILY_P = 0.004
FOLLOW_UP_P = 0.25
CONTACT_CHANNELS = ("sms", "email", "phone")
PURPOSES = ("follow_up", "repurchase", "wake_up", "campaign", "service")

# Catalogue.
CATEGORIES = ("tote", "crossbody", "shoulder", "backpack", "wallet", "clutch", "belt_bag")
CATEGORY_P = (0.22, 0.22, 0.16, 0.1, 0.14, 0.08, 0.08)
PRICE_RANGE = {
    "tote": (599, 1999),
    "crossbody": (399, 1599),
    "shoulder": (699, 2999),
    "backpack": (499, 1799),
    "wallet": (199, 799),
    "clutch": (299, 1299),
    "belt_bag": (299, 999),
}
STYLE_NAMES = (
    "Luna", "Aria", "Mila", "Nova", "Iris", "Jade", "Lotus", "Peony", "Orchid", "Willow", "Cleo", "Vera",
    "Stella", "Coco", "Ruby", "Pearl", "Ivy", "Hazel", "Maple", "Sora", "Yun", "Mei", "Lan", "Xia", "Qing",
    "Ling", "Hua", "Bao", "Jin", "Yue", "Xue", "Feng", "Lin", "Ming", "Ning", "Rui", "Shan", "Tao", "Wen", "Zhen",
)  # fmt: skip
SKU_LIFETIME_DAYS = 365

# Supply chain.
FACTORIES = (
    ("F01", "Guangzhou Baiyun Leather Goods", "Guangdong"),
    ("F02", "Dongguan Huamei Handbags", "Guangdong"),
    ("F03", "Baigou Xinda Bag Works", "Hebei"),
    ("F04", "Shishi Haoyu Luggage", "Fujian"),
    ("F05", "Pinghu Jiaxin Bags", "Zhejiang"),
    ("F06", "Wenzhou Lucheng Leather", "Zhejiang"),
    ("F07", "Shenzhen Longgang Accessories", "Guangdong"),
    ("F08", "Suzhou Wuzhong Fashion", "Jiangsu"),
)
FACTORY_PASS = np.array([0.985, 0.98, 0.98, 0.975, 0.978, 0.985, 0.977, 0.982])
F03, F05, F07 = 2, 4, 6
F03_END_PASS = 0.89
F03_DECLINE_DAYS = 56
ON_TIME_P = np.array([0.96, 0.955, 0.96, 0.95, 0.70, 0.96, 0.955, 0.96])
DESIGNATED_P = np.array([0.95, 0.94, 0.95, 0.96, 0.95, 0.94, 0.40, 0.95])
SUPPLIERS = (
    ("S01", "Haining Zhongxing Leather", "leather", True),
    ("S02", "Xinji Tannery Group", "leather", True),
    ("S03", "Guangzhou Huali Leather", "leather", True),
    ("S04", "Shiling Leather Market Co-op", "leather", False),
    ("S05", "Dongguan Jinhui Hardware", "hardware", True),
    ("S06", "Wenzhou Yongxin Metal", "hardware", True),
    ("S07", "Yiwu Lianfa Fittings", "hardware", False),
    ("S08", "Shaoxing Keqiao Textile", "lining", True),
    ("S09", "Suzhou Silk Lining", "lining", True),
    ("S10", "Changshu Budget Fabrics", "lining", False),
    ("S11", "YKK Shanghai", "zipper", True),
    ("S12", "SBS Zipper Jinjiang", "zipper", True),
    ("S13", "Yiwu Zipper Wholesale", "zipper", False),
    ("S14", "Shenzhen Yutong Packaging", "packaging", True),
    ("S15", "Dongguan Box Factory", "packaging", False),
    ("S16", "Cangnan Print & Pack", "packaging", False),
)
MATERIALS = ("leather", "hardware", "lining", "zipper", "packaging")
MATERIAL_P = (0.35, 0.2, 0.15, 0.15, 0.15)
MATERIAL_QTY_MEDIAN = np.array([600, 2000, 800, 2000, 3000])
MATERIAL_UNIT_PRICE = np.array([45.0, 3.5, 12.0, 2.5, 4.0])
DEFECT_TYPES = ("stitching", "hardware", "colour", "scratch", "glue")
DEFECT_P = np.array([0.3, 0.2, 0.15, 0.2, 0.15])
F03_DEFECT_P = np.array([0.55, 0.1, 0.1, 0.1, 0.15])
# Longest span from an origin day to a row's partition day (PO -> inspection; purchase -> receipt).
PO_LOOKBACK_DAYS = 40 + 12 + 2 + 1
MATERIAL_LOOKBACK_DAYS = 15 + 3 + 1

PROVINCES = (
    ("Guangdong", ("Guangzhou", "Shenzhen"), 0.13),
    ("Zhejiang", ("Hangzhou", "Ningbo"), 0.1),
    ("Jiangsu", ("Nanjing", "Suzhou"), 0.1),
    ("Shanghai", ("Shanghai",), 0.09),
    ("Beijing", ("Beijing",), 0.08),
    ("Sichuan", ("Chengdu",), 0.07),
    ("Shandong", ("Jinan", "Qingdao"), 0.07),
    ("Hubei", ("Wuhan",), 0.05),
    ("Fujian", ("Xiamen", "Fuzhou"), 0.05),
    ("Henan", ("Zhengzhou",), 0.05),
    ("Hunan", ("Changsha",), 0.04),
    ("Shaanxi", ("Xi'an",), 0.04),
    ("Chongqing", ("Chongqing",), 0.04),
    ("Tianjin", ("Tianjin",), 0.03),
    ("Liaoning", ("Shenyang", "Dalian"), 0.03),
    ("Anhui", ("Hefei",), 0.03),
)

# Random stream kinds: one independent stream per (origin day, kind).
K_TIMELINE, K_CUSTOMER, K_ORDER, K_PRODUCT, K_PO, K_MATERIAL, K_CONTACT = 1, 2, 3, 4, 5, 6, 7
K_DIRTY_ORDER, K_DIRTY_CUSTOMER = 8, 9

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_US_PER_DAY = 86_400_000_000
_UNKNOWN_SKUS = 97  # size of the pool of unknown SKU codes used by dirty rows

# --------------------------------------------------------------------------------------------------------------
# Calendar helpers (days are int64 days since 1970-01-01 throughout).
# --------------------------------------------------------------------------------------------------------------


def _epoch(day: dt.date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    dom = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, dom


def _campaign(days: np.ndarray) -> np.ndarray:
    """0 = no campaign, i = index+1 into CAMPAIGNS."""
    _, month, dom = _ymd(days)
    out = np.zeros(len(month), dtype=np.int8)
    for i, (m, d, _code) in enumerate(CAMPAIGNS):
        out[(month == m) & (dom == d)] = i + 1
    return out


def _days_to_next_campaign(days: np.ndarray) -> np.ndarray:
    """Days until the next campaign day (0 on the day), looking at most 10 days ahead."""
    out = np.full(len(days), 99, dtype=np.int64)
    for ahead in range(10, -1, -1):
        out[_campaign(days + ahead) > 0] = ahead
    return out


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7


def _signup_weight(days: np.ndarray) -> np.ndarray:
    """Mild weekly and seasonal variation of the sign-up rate (campaign spikes excluded)."""
    weekly = np.array([0.95, 0.95, 0.97, 0.98, 1.02, 1.08, 1.05])[_weekday(days)]
    seasonal = 1.0 + 0.1 * np.sin(2 * np.pi * (np.asarray(days, dtype=float) - 60.0) / 365.25)
    return weekly * seasonal


# --------------------------------------------------------------------------------------------------------------
# Arrow helpers.
# --------------------------------------------------------------------------------------------------------------


def _arrow_type(duckdb_type: str) -> pa.DataType:
    t = duckdb_type.upper()
    if t.startswith("DECIMAL") or t in ("DOUBLE", "FLOAT"):
        return pa.float64()
    return {
        "VARCHAR": pa.string(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "BOOLEAN": pa.bool_(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
    }[t]


def _schema(name: str) -> pa.Schema:
    fields = [pa.field(c.name, _arrow_type(c.type)) for c in RAW_TABLES[name].columns]
    return pa.schema([*fields, pa.field("_partition_date", pa.date32())])


def _digits(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal strings, vectorised."""
    return pc.utf8_lpad(pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string()), width=width, padding="0")


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _yyyymmdd(days: np.ndarray) -> pa.Array:
    y, m, d = _ymd(days)
    return _digits(y * 10000 + m * 100 + d, 8)


def _pick(labels: tuple[str, ...] | list[str], idx: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(list(labels), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))
    return _null_where(arr, null)


def _null_where(arr: pa.Array, null: np.ndarray | None) -> pa.Array:
    if null is None or not null.any():
        return arr
    return pc.if_else(pa.array(null), pa.scalar(None, arr.type), arr)


def _to_arrow(values: pa.Array | np.ndarray, duckdb_type: str) -> pa.Array:
    target = _arrow_type(duckdb_type)
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.cast(target)
    t = duckdb_type.upper()
    if t == "DATE":
        return pa.array(np.asarray(values, dtype=np.int64).astype("datetime64[D]"))
    if t == "TIMESTAMP":
        return pa.array(np.asarray(values, dtype=np.int64).astype("datetime64[us]"))
    if t.startswith("DECIMAL"):  # int64 cents -> exact nearest double of the 2-decimal value
        return pa.array(np.asarray(values, dtype=np.int64) / 100.0)
    return pa.array(values).cast(target)


def _table(name: str, cols: dict[str, pa.Array | np.ndarray], partition: np.ndarray) -> pa.Table:
    spec = RAW_TABLES[name]
    arrays = [_to_arrow(cols[c.name], c.type) for c in spec.columns]
    arrays.append(_to_arrow(partition, "DATE"))
    table = pa.Table.from_arrays(arrays, schema=_schema(name))
    if table.num_rows > 1:
        table = table.sort_by([("_partition_date", "ascending")] + [(k, "ascending") for k in spec.key])
    return table


def _empty(name: str) -> pa.Table:
    return _schema(name).empty_table()


class _Progress:
    """Reports roughly every 10% of a loop, so long generations show life."""

    def __init__(self, progress: Callable[[str], None] | None, label: str, total: int) -> None:
        self.progress, self.label, self.total = progress, label, max(total, 1)
        self.next_report = 0.1

    def step(self, done: int) -> None:
        if self.progress is not None and done / self.total >= self.next_report:
            self.progress(f"simulator: {self.label} {done}/{self.total} days ({100 * done // self.total}%)")
            while done / self.total >= self.next_report:
                self.next_report += 0.1


# --------------------------------------------------------------------------------------------------------------
# The world.
# --------------------------------------------------------------------------------------------------------------


class _World:
    """Constants derived from the config, and the seeded streams."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.seed = abs(int(config.seed))
        self.start = _epoch(config.start_date)
        self.end = _epoch(config.world_end)
        # Sign-up intensity: normalised over the first 730 days so that they hold 20,000 * scale customers,
        # with campaign days taking CAMPAIGN_SIGNUP_SHARE of them.
        window = np.arange(self.start, self.start + 730)
        weight = _signup_weight(window)
        is_campaign = _campaign(window) > 0
        camp_w, other_w = weight[is_campaign].sum(), weight[~is_campaign].sum()
        share = CAMPAIGN_SIGNUP_SHARE
        self.campaign_mult = share / (1 - share) * other_w / camp_w if camp_w > 0 else 20.0
        self.base_rate = CUSTOMERS_PER_730_DAYS * config.scale / (other_w + self.campaign_mult * camp_w)
        self.supply_scale = max(config.scale, 0.05) ** 0.5

    def rng(self, day: int | np.integer, kind: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, int(day) + _EPOCH_ORDINAL, kind])

    def signup_rate(self, days: np.ndarray) -> np.ndarray:
        mult = np.where(_campaign(days) > 0, self.campaign_mult, 1.0)
        return self.base_rate * _signup_weight(days) * mult

    def pass_rate(self, factory: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Inspection pass probability; F03 slides from its base to F03_END_PASS over the last 8 weeks."""
        base = FACTORY_PASS[factory]
        t = np.clip((day - (self.end - F03_DECLINE_DAYS)) / F03_DECLINE_DAYS, 0.0, 1.0)
        f03 = FACTORY_PASS[F03] + (F03_END_PASS - FACTORY_PASS[F03]) * t
        return np.where(factory == F03, f03, base)


@dataclass
class _Skeleton:
    """Customers (sorted by signup day, index) and their order days (sorted by day, customer, sequence)."""

    signup: np.ndarray
    index: np.ndarray
    acquisition: np.ndarray
    deal_hunter: np.ndarray
    heavy_sms: np.ndarray
    order_customer: np.ndarray
    order_seq: np.ndarray
    order_day: np.ndarray

    def customer_number(self, customer: np.ndarray, start: int) -> np.ndarray:
        return (self.signup[customer] - start) * 1_000_000 + self.index[customer]


def _skeleton(world: _World, first: int, last: int, horizon: int, progress: _Progress | None) -> _Skeleton:
    """Customers signing up on [first, last] and every order they place up to `horizon`.

    Each signup day's stream draws the day's customers and their whole order timeline, so the result for a
    day never depends on which other days are generated.
    """
    first = max(first, world.start)
    days = np.arange(first, last + 1)
    rates = world.signup_rate(days) if len(days) else np.zeros(0)
    campaign = _campaign(days) > 0 if len(days) else np.zeros(0, dtype=bool)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("signup", "index", "acq", "deal", "heavy")}
    o_cust, o_seq, o_day = [], [], []
    offset = 0
    p_repeat_other = 1 - P_ONE_TIMER
    for i, day in enumerate(days):
        rng = world.rng(day, K_TIMELINE)
        n = int(rng.poisson(rates[i]))
        acq = rng.choice(len(ACQUISITION_P), size=n, p=ACQUISITION_P).astype(np.int8)
        deal = rng.random(n) < DEAL_HUNTER_SHARE
        heavy = rng.random(n) < HEAVY_SMS_SHARE
        p_repeat = p_repeat_other * (CAMPAIGN_REPEAT_FACTOR if campaign[i] else 1.0)
        repeats = rng.random(n) < p_repeat
        loyalty = rng.gamma(LOYALTY_SHAPE, LOYALTY_SCALE, size=n)
        further = np.where(repeats, 1 + rng.poisson(loyalty), 0)
        further = np.minimum(further, MAX_FURTHER_ORDERS)
        gap_scale = GAP_MEDIAN_DAYS * np.exp(rng.normal(0.0, GAP_CUSTOMER_SIGMA, size=n))
        gap_scale = (
            gap_scale / (1 + LOYAL_GAP_SHRINK * loyalty) * (1 + LOYAL_GAP_SHRINK * LOYALTY_SHAPE * LOYALTY_SCALE)
        )
        total = int(further.sum())
        gaps = rng.lognormal(0.0, GAP_SIGMA, size=total) * np.repeat(gap_scale, further)
        gaps = np.maximum(1, np.rint(gaps)).astype(np.int64)
        seg_start = np.cumsum(further) - further
        csum = np.concatenate([[0], np.cumsum(gaps)])
        elapsed = csum[1:] - np.repeat(csum[seg_start], further)
        owner = np.repeat(np.arange(n), further)
        seq = np.arange(total) - np.repeat(seg_start, further) + 1
        when = day + elapsed
        keep = when <= horizon
        parts["signup"].append(np.full(n, day, dtype=np.int64))
        parts["index"].append(np.arange(n, dtype=np.int64))
        parts["acq"].append(acq)
        parts["deal"].append(deal)
        parts["heavy"].append(heavy)
        if day <= horizon:
            o_cust.append(offset + np.arange(n))
            o_seq.append(np.zeros(n, dtype=np.int64))
            o_day.append(np.full(n, day, dtype=np.int64))
        o_cust.append(offset + owner[keep])
        o_seq.append(seq[keep])
        o_day.append(when[keep])
        offset += n
        if progress is not None:
            progress.step(i + 1)

    def cat(values: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(values).astype(dtype) if values else np.zeros(0, dtype=dtype)

    cust, seq, oday = cat(o_cust, np.int64), cat(o_seq, np.int64), cat(o_day, np.int64)
    order = np.lexsort((seq, cust, oday))
    return _Skeleton(
        signup=cat(parts["signup"], np.int64),
        index=cat(parts["index"], np.int64),
        acquisition=cat(parts["acq"], np.int8),
        deal_hunter=cat(parts["deal"], bool),
        heavy_sms=cat(parts["heavy"], bool),
        order_customer=cust[order],
        order_seq=seq[order],
        order_day=oday[order],
    )


# --------------------------------------------------------------------------------------------------------------
# Catalogue, factories, suppliers.
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Catalog:
    sku: list[str]
    category: np.ndarray
    style: list[str]
    price: np.ndarray  # cents
    launch: np.ndarray
    retire: np.ndarray  # first day no longer on sale
    factory: np.ndarray
    popularity: np.ndarray

    def on_sale(self, day: int | np.integer) -> np.ndarray:
        return np.flatnonzero((self.launch <= day) & (day < self.retire))

    def weights(self, idx: np.ndarray, day: int | np.integer) -> np.ndarray:
        age = day - self.launch[idx]
        evergreen = self.retire[idx] > 10**8
        fresh = np.where(evergreen, 1.0, 0.6 + 1.4 * np.exp(-age / 90.0))
        return self.popularity[idx] * fresh


def _catalog(world: _World, last: int) -> _Catalog:
    """All SKUs launched up to `last`: an initial collection on the start day, then a drop every Tuesday."""
    sku: list[str] = []
    style: list[str] = []
    cat_l: list[int] = []
    price_l: list[int] = []
    launch_l: list[int] = []
    retire_l: list[int] = []
    fac_l: list[int] = []
    pop_l: list[float] = []
    days = np.arange(world.start, last + 1)
    launch_days = days[(days == world.start) | (_weekday(days) == 1)]
    for day in launch_days:
        rng = world.rng(day, K_PRODUCT)
        initial = day == world.start
        n_styles = 12 if initial else int(rng.integers(1, 4))
        stamp = dt.date.fromordinal(int(day) + _EPOCH_ORDINAL).strftime("%Y%m%d")
        k = 0
        for _ in range(n_styles):
            c = int(rng.choice(len(CATEGORIES), p=CATEGORY_P))
            lo, hi = PRICE_RANGE[CATEGORIES[c]]
            price = min(hi, int(rng.uniform(lo, hi) // 100 * 100 + 99))
            name = f"{STYLE_NAMES[int(rng.integers(len(STYLE_NAMES)))]} {CATEGORIES[c].replace('_', ' ').title()}"
            factory = int(rng.integers(len(FACTORIES)))
            colours = int(rng.integers(2, 5)) if initial else int(rng.integers(1, 4))
            lifetime = 10**9 if initial else SKU_LIFETIME_DAYS + int(rng.integers(-30, 31))
            for _c in range(colours):
                k += 1
                sku.append(f"SKU-{stamp}-{k:02d}")
                style.append(name)
                cat_l.append(c)
                price_l.append(price * 100)
                launch_l.append(int(day))
                retire_l.append(int(day) + lifetime)
                fac_l.append(factory)
                pop_l.append(float(rng.lognormal(0.0, 0.5)))
    return _Catalog(
        sku=sku,
        category=np.array(cat_l, dtype=np.int64),
        style=style,
        price=np.array(price_l, dtype=np.int64),
        launch=np.array(launch_l, dtype=np.int64),
        retire=np.array(retire_l, dtype=np.int64),
        factory=np.array(fac_l, dtype=np.int64),
        popularity=np.array(pop_l, dtype=float),
    )


def _products(world: _World, first: int, last: int) -> pa.Table:
    cat = _catalog(world, last)
    sel = np.flatnonzero(cat.launch >= first)
    return _table(
        "products",
        {
            "sku": pa.array([cat.sku[i] for i in sel], pa.string()),
            "category": _pick(CATEGORIES, cat.category[sel]),
            "style": pa.array([cat.style[i] for i in sel], pa.string()),
            "list_price": cat.price[sel],
            "launch_date": cat.launch[sel],
            "factory_id": _pick([f[0] for f in FACTORIES], cat.factory[sel]),
        },
        cat.launch[sel],
    )


def _factories(world: _World, first: int, last: int) -> pa.Table:
    if not first <= world.start <= last:
        return _empty("factories")
    n = len(FACTORIES)
    return _table(
        "factories",
        {
            "factory_id": pa.array([f[0] for f in FACTORIES]),
            "factory_name": pa.array([f[1] for f in FACTORIES]),
            "province": pa.array([f[2] for f in FACTORIES]),
            "onboarded_date": np.full(n, world.start),
        },
        np.full(n, world.start),
    )


def _suppliers(world: _World, first: int, last: int) -> pa.Table:
    if not first <= world.start <= last:
        return _empty("suppliers")
    n = len(SUPPLIERS)
    return _table(
        "suppliers",
        {
            "supplier_id": pa.array([s[0] for s in SUPPLIERS]),
            "supplier_name": pa.array([s[1] for s in SUPPLIERS]),
            "material": pa.array([s[2] for s in SUPPLIERS]),
            "is_designated": pa.array([s[3] for s in SUPPLIERS]),
            "onboarded_date": np.full(n, world.start),
        },
        np.full(n, world.start),
    )


# --------------------------------------------------------------------------------------------------------------
# Customers.
# --------------------------------------------------------------------------------------------------------------


def _customers(world: _World, sk: _Skeleton, first: int, last: int, progress: _Progress | None) -> pa.Table:
    """Attributes of the customers signing up on [first, last], drawn from each signup day's own stream."""
    prov_p = np.array([p[2] for p in PROVINCES])
    prov_p = prov_p / prov_p.sum()
    n_cities = np.array([len(p[1]) for p in PROVINCES])
    city_labels = [c for p in PROVINCES for c in p[1]]
    city_base = np.concatenate([[0], np.cumsum(n_cities)[:-1]])
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("cust", "birth", "birth_null", "gender", "prov", "city", "phone", "phone_null", "email_null")
    }
    cols["cust_null"] = []
    days = np.arange(max(first, world.start), last + 1)
    bounds = np.searchsorted(sk.signup, np.concatenate([days, [last + 1]])) if len(days) else np.zeros(1, int)
    for i, day in enumerate(days):
        lo, hi = bounds[i], bounds[i + 1]
        n = hi - lo
        if n == 0:
            continue
        rng = world.rng(day, K_CUSTOMER)
        year = _ymd(np.array([day]))[0][0]
        age = np.clip(np.rint(rng.normal(31, 8, n)), 18, 60).astype(np.int64)
        birth_null = rng.random(n) < 0.08
        gender = rng.choice(3, size=n, p=[0.88, 0.09, 0.03])
        prov = rng.choice(len(PROVINCES), size=n, p=prov_p)
        city = city_base[prov] + np.minimum((rng.random(n) * n_cities[prov]).astype(np.int64), n_cities[prov] - 1)
        phone = rng.integers(3, 10, n) * 10**9 + rng.integers(0, 10**9, n)
        phone_null = rng.random(n) < 0.02
        email_null = rng.random(n) < 0.3
        cust = np.arange(lo, hi)
        cust_null = np.zeros(n, dtype=bool)
        if world.config.dirty_rate > 0:
            drng = world.rng(day, K_DIRTY_CUSTOMER)
            k = int(drng.binomial(n, world.config.dirty_rate / 4))
            rows = drng.choice(n, size=k, replace=False)
            kind = drng.integers(0, 2, k)
            cust_null[rows[kind == 1]] = True
            dup = rows[kind == 0]
            take = np.concatenate([np.arange(n), dup])
            age, birth_null, gender, prov, city, phone = (a[take] for a in (age, birth_null, gender, prov, city, phone))
            phone_null, email_null, cust, cust_null = (a[take] for a in (phone_null, email_null, cust, cust_null))
        cols["cust"].append(cust)
        cols["birth"].append(year - age)
        cols["birth_null"].append(birth_null)
        cols["gender"].append(gender)
        cols["prov"].append(prov)
        cols["city"].append(city)
        cols["phone"].append(phone)
        cols["phone_null"].append(phone_null)
        cols["email_null"].append(email_null)
        cols["cust_null"].append(cust_null)
        if progress is not None:
            progress.step(i + 1)
    if not cols["cust"]:
        return _empty("customers")
    c = {k: np.concatenate(v) for k, v in cols.items()}
    number = sk.customer_number(c["cust"], world.start)
    num_str = _digits(number, 10)
    return _table(
        "customers",
        {
            "customer_id": _null_where(_join("C", num_str), c["cust_null"]),
            "signup_date": sk.signup[c["cust"]],
            "birth_year": pa.array(c["birth"].astype(np.int32), mask=c["birth_null"]),
            "gender": _pick(("F", "M", "F"), c["gender"], c["gender"] == 2),
            "province": _pick([p[0] for p in PROVINCES], c["prov"]),
            "city": _pick(city_labels, c["city"]),
            "acquisition_channel": _pick(CHANNELS, sk.acquisition[c["cust"]]),
            "phone": _null_where(_join("1", _digits(c["phone"], 10)), c["phone_null"]),
            "email": _null_where(_join("u", pc.cast(pa.array(number), pa.string()), "@example.com"), c["email_null"]),
        },
        sk.signup[c["cust"]],
    )


# --------------------------------------------------------------------------------------------------------------
# Orders and order items.
# --------------------------------------------------------------------------------------------------------------


def _orders(
    world: _World, sk: _Skeleton, cat: _Catalog, first: int, last: int, want: set[str], progress: _Progress | None
) -> dict[str, pa.Table]:
    """Orders of [first, last]: which customer orders when comes from the skeleton; everything else (time,
    channel, status, lines, SKUs, discounts) is drawn from the order day's stream in (customer, seq) order."""
    o: dict[str, list[np.ndarray]] = {
        k: [] for k in ("cust", "seq", "ts", "chan", "camp", "status", "gross", "net", "day", "cnull", "onull")
    }
    it: dict[str, list[np.ndarray]] = {
        k: [] for k in ("cust", "seq", "line", "sku", "qty", "list", "paid", "day", "onull", "snull")
    }
    days = np.arange(max(first, world.start), last + 1)
    bounds = np.searchsorted(sk.order_day, np.concatenate([days, [last + 1]])) if len(days) else np.zeros(1, int)
    campaign_of = _campaign(days) if len(days) else np.zeros(0, dtype=np.int8)
    dirty = world.config.dirty_rate
    n_sku = len(cat.sku)
    for i, day in enumerate(days):
        lo, hi = bounds[i], bounds[i + 1]
        n = int(hi - lo)
        if progress is not None:
            progress.step(i + 1)
        if n == 0:
            continue
        rng = world.rng(day, K_ORDER)
        cust = sk.order_customer[lo:hi]
        seq = sk.order_seq[lo:hi]
        camp = int(campaign_of[i])
        # Header draws.
        hour = rng.choice(24, size=n, p=HOUR_P)
        second = rng.integers(0, 3600, n)
        ts = day * _US_PER_DAY + (hour * 3600 + second) * 1_000_000
        switch = (rng.random(n) < P_OTHER_CHANNEL) & (seq > 0)
        other = rng.integers(0, len(CHANNELS), n)
        chan = np.where(switch, other, sk.acquisition[cust])
        u = rng.random(n)
        status = np.where(u < P_CANCELLED, 1, np.where(u < P_CANCELLED + P_REFUNDED, 2, 0))
        r = rng.random(n)
        n_lines = 1 + (r > 0.70) + (r > 0.92)
        camp_rate = rng.uniform(0.30, 0.50, n)
        # Line draws.
        total = int(n_lines.sum())
        owner = np.repeat(np.arange(n), n_lines)
        line = np.arange(total) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
        avail = cat.on_sale(day)
        cw = np.cumsum(cat.weights(avail, day))
        sku = avail[np.minimum(np.searchsorted(cw, rng.random(total) * cw[-1], side="right"), len(avail) - 1)]
        qty = rng.choice(3, size=total, p=[0.88, 0.09, 0.03]) + 1
        disc_u = rng.random(total)
        disc_rate = rng.uniform(0.05, 0.20, total)
        list_price = cat.price[sku]
        if camp:
            discounted = np.ones(total, dtype=bool)
            rate = camp_rate[owner]
        else:
            p_disc = np.where(sk.deal_hunter[cust[owner]], DEAL_HUNTER_DISCOUNT_P, REGULAR_DISCOUNT_P)
            discounted = disc_u < p_disc
            rate = disc_rate
        paid = np.where(discounted, np.rint(list_price * (1 - rate) / 10) * 10, list_price).astype(np.int64)
        gross = np.bincount(owner, weights=qty * list_price, minlength=n).astype(np.int64)
        net = np.bincount(owner, weights=qty * paid, minlength=n).astype(np.int64)
        cnull = np.zeros(n, dtype=bool)
        onull = np.zeros(n, dtype=bool)
        i_onull = np.zeros(total, dtype=bool)
        i_snull = np.zeros(total, dtype=bool)
        o_take = np.arange(n)
        i_take = np.arange(total)
        if dirty > 0:
            drng = world.rng(day, K_DIRTY_ORDER)
            k = int(drng.binomial(n, dirty))
            rows = drng.choice(n, size=k, replace=False)
            kind = drng.integers(0, 4, k)
            cnull[rows[kind == 1]] = True
            onull[rows[kind == 2]] = True
            fut = rows[kind == 3]
            ts[fut] += drng.integers(1, 6, len(fut)) * 365 * _US_PER_DAY
            o_take = np.concatenate([o_take, rows[kind == 0]])
            k = int(drng.binomial(total, dirty))
            rows = drng.choice(total, size=k, replace=False)
            kind = drng.integers(0, 5, k)
            i_onull[rows[kind == 1]] = True
            i_snull[rows[kind == 2]] = True
            qty[rows[kind == 3]] *= -1
            unknown = rows[kind == 4]
            sku[unknown] = n_sku + drng.integers(0, _UNKNOWN_SKUS, len(unknown))
            i_take = np.concatenate([i_take, rows[kind == 0]])
        o["cust"].append(cust[o_take])
        o["seq"].append(seq[o_take])
        o["ts"].append(ts[o_take])
        o["chan"].append(chan[o_take])
        o["camp"].append(np.full(len(o_take), camp))
        o["status"].append(status[o_take])
        o["gross"].append(gross[o_take])
        o["net"].append(net[o_take])
        o["day"].append(np.full(len(o_take), day))
        o["cnull"].append(cnull[o_take])
        o["onull"].append(onull[o_take])
        it["cust"].append(cust[owner][i_take])
        it["seq"].append(seq[owner][i_take])
        it["line"].append(line[i_take])
        it["sku"].append(sku[i_take])
        it["qty"].append(qty[i_take])
        it["list"].append(list_price[i_take])
        it["paid"].append(paid[i_take])
        it["day"].append(np.full(len(i_take), day))
        it["onull"].append(i_onull[i_take])
        it["snull"].append(i_snull[i_take])
    out: dict[str, pa.Table] = {}
    if not o["cust"]:
        return {name: _empty(name) for name in want}
    oc = {k: np.concatenate(v) for k, v in o.items()}
    ic = {k: np.concatenate(v) for k, v in it.items()}
    if "orders" in want:
        number = _digits(sk.customer_number(oc["cust"], world.start), 10)
        camp_codes = ("", *[c[2] for c in CAMPAIGNS])
        out["orders"] = _table(
            "orders",
            {
                "order_id": _null_where(_join("O", number, "-", _digits(oc["seq"] + 1, 3)), oc["onull"]),
                "customer_id": _null_where(_join("C", number), oc["cnull"]),
                "ordered_at": oc["ts"],
                "channel": _pick(CHANNELS, oc["chan"]),
                "campaign_code": _pick(camp_codes, oc["camp"], oc["camp"] == 0),
                "status": _pick(("paid", "cancelled", "refunded"), oc["status"]),
                "gross_amount": oc["gross"],
                "discount_amount": oc["gross"] - oc["net"],
                "net_amount": oc["net"],
            },
            oc["day"],
        )
    if "order_items" in want:
        number = _digits(sk.customer_number(ic["cust"], world.start), 10)
        unknown = [f"SKU-UNKNOWN-{i:04d}" for i in range(_UNKNOWN_SKUS)]
        out["order_items"] = _table(
            "order_items",
            {
                "order_id": _null_where(_join("O", number, "-", _digits(ic["seq"] + 1, 3)), ic["onull"]),
                "line_number": ic["line"],
                "sku": _pick(cat.sku + unknown, ic["sku"], ic["snull"]),
                "quantity": ic["qty"],
                "list_unit_price": ic["list"],
                "paid_unit_price": ic["paid"],
            },
            ic["day"],
        )
    return out


# --------------------------------------------------------------------------------------------------------------
# CRM contacts.
# --------------------------------------------------------------------------------------------------------------


def _contacts(world: _World, sk: _Skeleton, first: int, last: int, progress: _Progress | None) -> pa.Table:
    """The day's contacts: follow-ups of yesterday's orders, regular CRM pushes to the whole base, and a
    small group of customers hammered by SMS (the frequency-cap truth)."""
    heavy_ids = np.flatnonzero(sk.heavy_sms)
    heavy_signup = sk.signup[heavy_ids]
    days = np.arange(max(first, world.start), last + 1)
    to_campaign = _days_to_next_campaign(days) if len(days) else np.zeros(0, dtype=np.int64)
    reg_p = np.array([0.1, 0.3, 0.25, 0.2, 0.15])
    camp_p = np.array([0.05, 0.15, 0.1, 0.6, 0.1])
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("cust", "chan", "ts", "purpose", "day", "n")}
    for i, day in enumerate(days):
        if progress is not None:
            progress.step(i + 1)
        rng = world.rng(day, K_CONTACT)
        existing = int(np.searchsorted(sk.signup, day, side="left"))
        # Follow-ups of yesterday's orders.
        lo, hi = np.searchsorted(sk.order_day, [day - 1, day])
        f_sel = rng.random(hi - lo) < FOLLOW_UP_P
        f_cust = sk.order_customer[lo:hi][f_sel]
        f_chan = rng.choice(3, size=len(f_cust), p=[0.6, 0.3, 0.1])
        f_purpose = np.zeros(len(f_cust), dtype=np.int64)
        # Regular pushes.
        n_reg = int(rng.poisson(REGULAR_CONTACT_DAILY_P * existing))
        r_cust = np.minimum((rng.random(n_reg) * existing).astype(np.int64), max(existing - 1, 0))
        r_chan = rng.choice(3, size=n_reg, p=[0.5, 0.35, 0.15])
        r_purpose = rng.choice(5, size=n_reg, p=camp_p if to_campaign[i] <= 5 else reg_p)
        # Heavy SMS group.
        n_heavy = int(np.searchsorted(heavy_signup, day, side="left"))
        h_cust = heavy_ids[:n_heavy][rng.random(n_heavy) < HEAVY_SMS_DAILY_P]
        h_chan = np.zeros(len(h_cust), dtype=np.int64)
        h_purpose = np.where(rng.random(len(h_cust)) < 0.5, 1, 3)
        cust = np.concatenate([f_cust, r_cust, h_cust])
        m = len(cust)
        hour = rng.integers(9, 22, m)
        ts = day * _US_PER_DAY + (hour * 3600 + rng.integers(0, 3600, m)) * 1_000_000
        cols["cust"].append(cust)
        cols["chan"].append(np.concatenate([f_chan, r_chan, h_chan]))
        cols["purpose"].append(np.concatenate([f_purpose, r_purpose, h_purpose]))
        cols["ts"].append(ts)
        cols["day"].append(np.full(m, day))
        cols["n"].append(np.arange(m))
    if not cols["cust"]:
        return _empty("contact_log")
    c = {k: np.concatenate(v) for k, v in cols.items()}
    return _table(
        "contact_log",
        {
            "contact_id": _join("CT", _yyyymmdd(c["day"]), _digits(c["n"], 7)),
            "customer_id": _join("C", _digits(sk.customer_number(c["cust"], world.start), 10)),
            "channel": _pick(CONTACT_CHANNELS, c["chan"]),
            "sent_at": c["ts"],
            "purpose": _pick(PURPOSES, c["purpose"]),
        },
        c["day"],
    )


# --------------------------------------------------------------------------------------------------------------
# Supply chain.
# --------------------------------------------------------------------------------------------------------------


def _supply(world: _World, cat: _Catalog, first: int, last: int, want: set[str]) -> dict[str, pa.Table]:
    """Purchase orders, deliveries and inspections. Each PO day's stream draws the POs and their whole
    fulfilment; rows are then kept by their own partition day, so origin days start PO_LOOKBACK_DAYS early."""
    po: dict[str, list[np.ndarray]] = {k: [] for k in ("day", "n", "fac", "sku", "qty", "promised")}
    dl_keys = ("day", "n", "part", "date", "qty", "idate", "iqty", "passed", "defect")
    dl: dict[str, list[np.ndarray]] = {k: [] for k in dl_keys}
    for day in range(max(first - PO_LOOKBACK_DAYS, world.start), last + 1):
        rng = world.rng(day, K_PO)
        n = max(3, int(rng.poisson(6 * world.supply_scale)))
        avail = cat.on_sale(day)
        cw = np.cumsum(cat.popularity[avail])
        sku = avail[np.minimum(np.searchsorted(cw, rng.random(n) * cw[-1], side="right"), len(avail) - 1)]
        fac = cat.factory[sku]
        qty = np.maximum(50, np.rint(rng.lognormal(np.log(400), 0.6, n) / 50) * 50).astype(np.int64)
        promised = day + rng.integers(20, 41, n)
        split = rng.random(n) < 0.3
        short = rng.random(n) < 0.05
        delivered_total = np.where(short, np.rint(qty * rng.uniform(0.80, 0.97, n)), qty).astype(np.int64)
        first_part = np.where(split, np.rint(delivered_total * rng.uniform(0.4, 0.7, n)), delivered_total)
        parts = np.stack([first_part, delivered_total - first_part], axis=1).astype(np.int64)
        on_time = rng.random((n, 2)) < ON_TIME_P[fac][:, None]
        early = rng.integers(0, 6, (n, 2))
        late = rng.integers(1, 13, (n, 2))
        raw_delta = np.where(on_time, -early, late)
        # A split PO ships its parts in date order; a single delivery keeps its own draw (sorting would bias it early).
        delta = np.where(split[:, None], np.sort(raw_delta, axis=1), raw_delta)
        inspect_lag = rng.choice(3, size=(n, 2), p=[0.5, 0.35, 0.15])
        full = rng.random((n, 2)) < 0.25
        noise = rng.normal(0.0, 0.006, (n, 2))
        defect_u = rng.random((n, 2))
        keep_part = np.stack([np.ones(n, dtype=bool), split], axis=1) & (parts > 0)
        date = promised[:, None] + delta
        idate = date + inspect_lag
        sample = np.select([parts <= 150, parts <= 500, parts <= 1200, parts <= 3200], [parts, 80, 125, 200], 315)
        iqty = np.where(full, parts, np.minimum(sample, parts))
        p_pass = np.clip(world.pass_rate(np.repeat(fac[:, None], 2, axis=1), idate) + noise, 0.5, 1.0)
        failed = rng.binomial(iqty, 1 - p_pass)
        defect_p = np.where((fac == F03)[:, None, None], F03_DEFECT_P, DEFECT_P)
        defect = (defect_u[..., None] > np.cumsum(defect_p, axis=-1)).sum(axis=-1)
        defect = np.where(failed > 0, defect, -1)
        po["day"].append(np.full(n, day))
        po["n"].append(np.arange(n))
        po["fac"].append(fac)
        po["sku"].append(sku)
        po["qty"].append(qty)
        po["promised"].append(promised)
        rows, part = np.nonzero(keep_part)
        dl["day"].append(np.full(len(rows), day))
        dl["n"].append(rows)
        dl["part"].append(part + 1)
        dl["date"].append(date[rows, part])
        dl["qty"].append(parts[rows, part])
        dl["idate"].append(idate[rows, part])
        dl["iqty"].append(iqty[rows, part])
        dl["passed"].append((iqty - failed)[rows, part])
        dl["defect"].append(defect[rows, part])
    out: dict[str, pa.Table] = {}
    if not po["day"]:
        return {name: _empty(name) for name in want}
    p = {k: np.concatenate(v) for k, v in po.items()}
    d = {k: np.concatenate(v) for k, v in dl.items()}
    if "purchase_orders" in want:
        sel = (p["day"] >= first) & (p["day"] <= last)
        out["purchase_orders"] = _table(
            "purchase_orders",
            {
                "po_id": _join("PO-", _yyyymmdd(p["day"][sel]), "-", _digits(p["n"][sel], 3)),
                "factory_id": _pick([f[0] for f in FACTORIES], p["fac"][sel]),
                "sku": _pick(cat.sku, p["sku"][sel]),
                "quantity": p["qty"][sel],
                "ordered_date": p["day"][sel],
                "promised_date": p["promised"][sel],
            },
            p["day"][sel],
        )
    for name, date_key in (("deliveries", "date"), ("inspections", "idate")):
        if name not in want:
            continue
        sel = (d[date_key] >= first) & (d[date_key] <= last)
        suffix = _join(_yyyymmdd(d["day"][sel]), "-", _digits(d["n"][sel], 3), "-", _digits(d["part"][sel], 1))
        if name == "deliveries":
            cols = {
                "delivery_id": _join("DL-", suffix),
                "po_id": _join("PO-", _yyyymmdd(d["day"][sel]), "-", _digits(d["n"][sel], 3)),
                "delivered_date": d["date"][sel],
                "quantity": d["qty"][sel],
            }
        else:
            defect = d["defect"][sel]
            cols = {
                "inspection_id": _join("IN-", suffix),
                "delivery_id": _join("DL-", suffix),
                "inspected_date": d["idate"][sel],
                "inspected_qty": d["iqty"][sel],
                "passed_qty": d["passed"][sel],
                "defect_type": _pick(DEFECT_TYPES, np.maximum(defect, 0), defect < 0),
            }
        out[name] = _table(name, cols, d[date_key][sel])
    return out


def _materials(world: _World, first: int, last: int) -> pa.Table:
    """Factories' material purchases, drawn on the purchase day and kept by the day they are received."""
    sup_mat = np.array([MATERIALS.index(s[2]) for s in SUPPLIERS])
    sup_des = np.array([s[3] for s in SUPPLIERS])
    groups = [np.flatnonzero((sup_mat == m) & (sup_des == des)) for m in range(len(MATERIALS)) for des in (False, True)]
    g_size = np.array([len(g) for g in groups])
    g_start = np.concatenate([[0], np.cumsum(g_size)[:-1]])
    g_flat = np.concatenate(groups)
    keys = ("day", "n", "fac", "sup", "qty", "amount", "promised", "received", "defective")
    cols: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    rate = 0.45 * world.supply_scale
    for day in range(max(first - MATERIAL_LOOKBACK_DAYS, world.start), last + 1):
        rng = world.rng(day, K_MATERIAL)
        per_factory = rng.poisson(rate, len(FACTORIES))
        fac = np.repeat(np.arange(len(FACTORIES)), per_factory)
        m = len(fac)
        mat = rng.choice(len(MATERIALS), size=m, p=MATERIAL_P)
        des = rng.random(m) < DESIGNATED_P[fac]
        g = mat * 2 + des
        sup = g_flat[g_start[g] + np.minimum((rng.random(m) * g_size[g]).astype(np.int64), g_size[g] - 1)]
        qty = np.maximum(10, np.rint(rng.lognormal(0.0, 0.5, m) * MATERIAL_QTY_MEDIAN[mat] / 10) * 10).astype(np.int64)
        unit = MATERIAL_UNIT_PRICE[mat] * np.where(des, 1.08, 1.0) * rng.uniform(0.9, 1.1, m)
        amount = np.rint(qty * unit * 100).astype(np.int64)
        promised = day + rng.integers(5, 16, m)
        received = promised + rng.choice(np.arange(-2, 4), size=m, p=[0.05, 0.1, 0.65, 0.1, 0.06, 0.04])
        defective = rng.binomial(qty, np.where(des, 0.004, 0.015))
        values = (np.full(m, day), np.arange(m), fac, sup, qty, amount, promised, received, defective)
        for key, value in zip(keys, values, strict=True):
            cols[key].append(value)
    if not cols["day"]:
        return _empty("material_purchases")
    c = {k: np.concatenate(v) for k, v in cols.items()}
    sel = (c["received"] >= first) & (c["received"] <= last)
    c = {k: v[sel] for k, v in c.items()}
    return _table(
        "material_purchases",
        {
            "purchase_id": _join("MP-", _yyyymmdd(c["day"]), "-", _digits(c["n"], 3)),
            "factory_id": _pick([f[0] for f in FACTORIES], c["fac"]),
            "supplier_id": _pick([s[0] for s in SUPPLIERS], c["sup"]),
            "material": _pick(MATERIALS, sup_mat[c["sup"]]),
            "quantity": c["qty"],
            "amount": c["amount"],
            "is_designated_supplier": sup_des[c["sup"]],
            "purchased_date": c["day"],
            "promised_date": c["promised"],
            "received_date": c["received"],
            "defective_qty": c["defective"],
        },
        c["received"],
    )


# --------------------------------------------------------------------------------------------------------------
# Entry point.
# --------------------------------------------------------------------------------------------------------------


def generate(
    config: SimulatorConfig,
    first_day: dt.date,
    last_day: dt.date,
    tables: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, pa.Table]:
    """Rows of the partition days [first_day, last_day] for each requested raw table.

    Each table has exactly the contract columns in order plus `_partition_date` (date32), sorted by
    partition day then key. Rows of a day depend only on (config, day), whatever range is asked for.
    """
    want = list(TABLE_NAMES if tables is None else tables)
    unknown = sorted(set(want) - set(TABLE_NAMES))
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}: choose from {list(TABLE_NAMES)}")
    world = _World(config)
    first, last = _epoch(first_day), _epoch(last_day)
    result: dict[str, pa.Table] = {}
    if last < first or last < world.start:
        return {name: _empty(name) for name in want}
    wanted = set(want)

    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    if "factories" in wanted:
        result["factories"] = _factories(world, first, last)
    if "suppliers" in wanted:
        result["suppliers"] = _suppliers(world, first, last)
    needs_catalog = {"orders", "order_items", "purchase_orders", "deliveries", "inspections"}
    cat = _catalog(world, last) if wanted & needs_catalog else None
    if "products" in wanted:
        result["products"] = _products(world, first, last)
    need_orders = wanted & {"orders", "order_items", "contact_log"}
    sk = None
    if need_orders:
        n_days = last - world.start + 1
        say(f"simulator: drawing customer timelines for {n_days} signup days")
        sk = _skeleton(world, world.start, last, last, _Progress(progress, "timelines", n_days))
    elif "customers" in wanted:
        sk = _skeleton(world, first, last, last, None)
    if "customers" in wanted and sk is not None:
        n_days = last - max(first, world.start) + 1
        result["customers"] = _customers(world, sk, first, last, _Progress(progress, "customers", n_days))
    if wanted & {"orders", "order_items"} and sk is not None and cat is not None:
        n_days = last - max(first, world.start) + 1
        result.update(
            _orders(
                world, sk, cat, first, last, wanted & {"orders", "order_items"}, _Progress(progress, "orders", n_days)
            )
        )
    if "contact_log" in wanted and sk is not None:
        n_days = last - max(first, world.start) + 1
        result["contact_log"] = _contacts(world, sk, first, last, _Progress(progress, "contacts", n_days))
    supply = wanted & {"purchase_orders", "deliveries", "inspections"}
    if supply and cat is not None:
        say("simulator: supply chain")
        result.update(_supply(world, cat, first, last, supply))
    if "material_purchases" in wanted:
        result["material_purchases"] = _materials(world, first, last)
    say("simulator: done " + ", ".join(f"{name}={result[name].num_rows}" for name in want))
    return {name: result[name] for name in want}
