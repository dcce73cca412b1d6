"""Every knob of the warehouse, read once from the environment (Make variables become env vars).

Defaults live here and nowhere else; README.md lists them. This module imports no Dagster so that the CLI can
reject a bad setting in milliseconds, with one line naming the setting, before the heavy imports.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("simulator", "files", "online_retail")
DEFAULT_SEED = 20261122
HISTORY_DAYS = 730
# PARTITIONS_START's default: the first day Dagster offers as a daily partition. Early enough for any export we ship
# (Online Retail starts 2010-12-01); an older history sets PARTITIONS_START. The simulator's history starts
# AS_OF - 729 days unless SIM_START says otherwise.
PARTITIONS_START = dt.date(2010, 1, 1)
SAMPLE_CURRENCY = {"online_retail": "GBP"}  # the shipped exports' money (the UCI shop sold in pounds)
EARLIEST_PARTITIONS_START = dt.date(1970, 1, 1)

# `config=` of duckdb.connect, as its stubs type it
DuckDBConfig = dict[str, str | bool | int | float | list[str]]


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting and what to do."""


@dataclass(frozen=True)
class Settings:
    source: str = "simulator"
    as_of: dt.date = field(default_factory=lambda: dt.date.today() - dt.timedelta(days=1))
    # whether AS_OF was set: SOURCE=files then builds only the landing days up to it (else up to the last file's day)
    as_of_given: bool = False
    scale: float = 1.0
    seed: int = DEFAULT_SEED
    dirty: float = 0.0
    data_dir: Path = REPO_ROOT / "data"
    landing_dir: Path = REPO_ROOT / "data" / "landing"
    sim_start: dt.date | None = None
    # SOURCE=online_retail is SOURCE=files plus this: the CLI first unpacks the shipped UCI Online Retail export
    # (samples/online_retail/) into LANDING_DIR/online_retail/, up to the run's last day
    sample: str | None = None
    date: dt.date | None = None  # DATE: the one partition `make daily` runs
    date_from: dt.date | None = None  # FROM / TO: the range `make backfill` runs
    date_to: dt.date | None = None
    schedule_time: str = "02:00"  # SCHEDULE_TIME (HH:MM) the daily schedule fires, in SCHEDULE_TZ
    schedule_tz: str = "UTC"
    # SHOP_TZ: the shop's own time zone. Timestamps in landing files that carry a UTC offset are converted to it;
    # naive timestamps are taken as already in it. Partition days are days in this zone.
    shop_tz: str = "UTC"
    # SHOP_CURRENCY: ISO 4217 code of the shop's money (every amount in the marts); the serving file states it in
    # meta.shop and in the comment of every money column. One currency per warehouse: amounts are never converted.
    shop_currency: str = "CNY"  # SOURCE=online_retail: GBP (SAMPLE_CURRENCY) unless SHOP_CURRENCY says otherwise
    # QUARANTINE_TOLERANCE: share of a load's rows that may land in quarantine before its raw gate fails
    quarantine_tolerance: float = 0.01
    # DBT_VARS: a JSON object of dbt vars overriding dbt/dbt_project.yml for this run, e.g. {"outreach_sms_cap": 2}
    dbt_vars: str | None = None
    # DUCKDB_MEMORY_LIMIT: memory each DuckDB connection of a build (ingest, dbt, gates, publish) may use before it
    # spills to disk next to the build file, e.g. 6GB or 50%; DuckDB's own default is 80% of RAM
    duckdb_memory_limit: str = "80%"
    # DBT_THREADS: models dbt builds at once (each query in the one DuckDB process): 4 overlaps small models; at
    # TPC-H SF10 four heavy models at once spilled more than the free disk, one at a time did not
    dbt_threads: int = 4
    # PARTITIONS_START: the first daily partition (Dagster's partition set; landing rows before it are refused)
    partitions_start: dt.date = PARTITIONS_START
    # ALLOW_EMPTY_DAYS: days the user says really had no data (no export, no sales); `make daily` for any other day
    # with no landing file, or before the simulated world began, stops: no data is not zero sales
    allow_empty_days: tuple[dt.date, ...] = ()
    # VERBOSE=1: the terminal also shows dbt's per-node log and every run event (the run's log file always has them)
    verbose: bool = False

    @property
    def duckdb_config(self) -> DuckDBConfig:
        """`config=` for duckdb.connect: the same limits as dbt's profile (dbt/profiles.yml)."""
        return {"memory_limit": self.duckdb_memory_limit}

    @property
    def build_db(self) -> Path:
        return self.data_dir / "build" / "warehouse.duckdb"

    @property
    def serving_dir(self) -> Path:
        return self.data_dir / "serving"

    @property
    def serving_db(self) -> Path:
        return self.serving_dir / "warehouse.duckdb"

    @property
    def history_start(self) -> dt.date:
        """First day the simulator's brand exists (its world is anchored here, not at AS_OF)."""
        return self.sim_start or self.as_of - dt.timedelta(days=HISTORY_DAYS - 1)


def _date(name: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a date: use YYYY-MM-DD, e.g. {name}=2026-06-30") from None


def _number(name: str, value: str, kind: type, low: float, high: float) -> float | int:
    try:
        number = kind(value.strip())
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a {kind.__name__}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name}={value!r} is out of range: use a value from {low} to {high}")
    return number


def _clock(name: str, value: str) -> str:
    try:
        parsed = dt.datetime.strptime(value.strip(), "%H:%M")
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a time of day: use HH:MM, e.g. {name}=02:00") from None
    return parsed.strftime("%H:%M")


def _timezone(name: str, value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"{name}={value!r} is not a time zone: use an IANA name, e.g. {name}=Asia/Shanghai"
        ) from None
    return value.strip()


def _currency(name: str, value: str) -> str:
    from babel.numbers import list_currencies  # babel comes with dbt (agate): ISO 4217's list, kept up to date

    code = value.strip().upper()
    if code not in list_currencies():
        raise SettingsError(f"{name}={value!r} is not an ISO 4217 currency code: use e.g. {name}=CNY or {name}=USD")
    return code


MEMORY = re.compile(r"(\d+(?:\.\d+)?)\s*(%|B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)", re.IGNORECASE)


MEMORY_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
MEMORY_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
MIN_MEMORY_BYTES = 100 * 10**6  # below this DuckDB cannot even open the build file and dbt fails with a traceback
MIN_MEMORY_PERCENT = 1.0


def _memory(name: str, value: str) -> str:
    match = MEMORY.fullmatch(value.strip())
    if not match or float(match.group(1)) <= 0 or (match.group(2) == "%" and float(match.group(1)) > 100):
        raise SettingsError(f"{name}={value!r} is not an amount of memory: use e.g. {name}=6GB or {name}=50%")
    amount, unit = float(match.group(1)), match.group(2).upper()
    if (unit == "%" and amount < MIN_MEMORY_PERCENT) or (
        unit != "%" and amount * MEMORY_UNITS[unit] < MIN_MEMORY_BYTES
    ):
        raise SettingsError(f"{name}={value!r} is too little for a build: use at least 100MB (or 1%), e.g. {name}=6GB")
    return f"{match.group(1)}{match.group(2).upper().replace('I', 'i')}"


def _dbt_vars(value: str) -> str:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise SettingsError(
            f"DBT_VARS is not JSON ({error.msg} at character {error.pos}): use e.g. "
            """DBT_VARS='{"outreach_sms_cap": 2}'"""
        ) from None
    if not isinstance(parsed, dict):
        raise SettingsError("DBT_VARS must be a JSON object of dbt vars, e.g. DBT_VARS='{\"outreach_sms_cap\": 2}'")
    defaults = _dbt_var_defaults()
    unknown = sorted(set(parsed) - set(defaults))
    if unknown:
        raise SettingsError(f"DBT_VARS names unknown dbt var {unknown[0]!r}: see vars in dbt/dbt_project.yml")
    for name, value in parsed.items():
        problem = _dbt_var_problem(name, value, defaults[name])
        if problem:
            raise SettingsError(
                f"DBT_VARS var {name}={json.dumps(value)} is {problem} (default {json.dumps(defaults[name])}): "
                "see vars in dbt/dbt_project.yml"
            )
    return json.dumps(parsed, sort_keys=True)


def _dbt_var_defaults() -> dict:
    import yaml

    return yaml.safe_load((REPO_ROOT / "dbt" / "dbt_project.yml").read_text())["vars"]


# A dbt var's value goes into the models' SQL as written, so each must have its default's shape: a number where the
# default is a number (never a string: "0 or true" would become SQL), >= 0, a rate or weight at most 1; a word
# where the default is a word. Lists and mappings are checked element by element against the default's elements.
DBT_VAR_WORD = re.compile(r"[A-Za-z0-9_+\-]{1,40}")
DBT_VAR_WORDS = {"rfm_scoring_method": ("quintile", "fixed")}


def _dbt_var_problem(name: str, value: object, default: object) -> str | None:
    if default is None:  # optional numbers (repurchase_cycle_days): null or a number > 0
        if value is None:
            return None
        default = 1.0
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "not true or false"
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "not a number"
        if isinstance(default, int) and not isinstance(value, int):
            return "not a whole number"
        if value < 0:
            return "negative"
        if ("rate" in name or "weight" in name) and value > 1:
            return "a share above 1"
        return None
    if isinstance(default, str):
        if not isinstance(value, str) or not DBT_VAR_WORD.fullmatch(value):
            return "not a word (letters, digits, _ + -)"
        allowed = DBT_VAR_WORDS.get(name)
        return f"not one of {', '.join(allowed)}" if allowed and value not in allowed else None
    if isinstance(default, list):
        if not isinstance(value, list) or not value:
            return "not a non-empty list"
        shapes = default or [None]
        for element in value:
            if all(_dbt_var_problem(name, element, shape) for shape in shapes):
                return f"a list with an element {json.dumps(element)} unlike the default's"
        return None
    if isinstance(default, dict):
        if not isinstance(value, dict):
            return "not a mapping"
        for key, element in value.items():
            if key not in default:
                return f"a mapping with unknown key {key!r}"
            problem = _dbt_var_problem(name, element, default[key])
            if problem:
                return f"a mapping whose {key} is {problem}"
        return None
    return None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings; raise SettingsError with a one-line message on bad input."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(name)
        return value if value not in (None, "") else None

    kwargs: dict = {}
    if (source := get("SOURCE")) is not None:
        if source not in SOURCES:
            raise SettingsError(f"SOURCE={source!r} is unknown: use one of {', '.join(SOURCES)}")
        kwargs["source"] = source
        if source == "online_retail":
            kwargs["source"], kwargs["sample"] = "files", source
    if (as_of := get("AS_OF")) is not None:
        kwargs["as_of"] = _date("AS_OF", as_of)
        kwargs["as_of_given"] = True
        if kwargs["as_of"] > dt.date.today():
            raise SettingsError(f"AS_OF={as_of!r} is in the future: use today or an earlier day")
    if (scale := get("SCALE")) is not None:
        kwargs["scale"] = _number("SCALE", scale, float, 0.001, 1000)
    if (seed := get("SEED")) is not None:
        kwargs["seed"] = _number("SEED", seed, int, 0, 2**32 - 1)
    if (dirty := get("DIRTY")) is not None:
        kwargs["dirty"] = _number("DIRTY", dirty, float, 0.0, 0.5)
    if (tolerance := get("QUARANTINE_TOLERANCE")) is not None:
        kwargs["quarantine_tolerance"] = _number("QUARANTINE_TOLERANCE", tolerance, float, 0.0, 1.0)
    if (sim_start := get("SIM_START")) is not None:
        kwargs["sim_start"] = _date("SIM_START", sim_start)
    for name, key in (("DATE", "date"), ("FROM", "date_from"), ("TO", "date_to")):
        if (value := get(name)) is not None:
            kwargs[key] = _date(name, value)
            if kwargs[key] > dt.date.today():
                raise SettingsError(f"{name}={value!r} is in the future: use today or an earlier day")
    if kwargs.get("date_from") and kwargs.get("date_to") and kwargs["date_from"] > kwargs["date_to"]:
        raise SettingsError(f"FROM={kwargs['date_from']} is after TO={kwargs['date_to']}: swap them")
    if (schedule_time := get("SCHEDULE_TIME")) is not None:
        kwargs["schedule_time"] = _clock("SCHEDULE_TIME", schedule_time)
    if (schedule_tz := get("SCHEDULE_TZ")) is not None:
        kwargs["schedule_tz"] = _timezone("SCHEDULE_TZ", schedule_tz)
    if (shop_tz := get("SHOP_TZ")) is not None:
        kwargs["shop_tz"] = _timezone("SHOP_TZ", shop_tz)
    if (currency := get("SHOP_CURRENCY")) is not None:
        kwargs["shop_currency"] = _currency("SHOP_CURRENCY", currency)
    elif kwargs.get("sample") in SAMPLE_CURRENCY:
        kwargs["shop_currency"] = SAMPLE_CURRENCY[kwargs["sample"]]
    if (memory := get("DUCKDB_MEMORY_LIMIT")) is not None:
        kwargs["duckdb_memory_limit"] = _memory("DUCKDB_MEMORY_LIMIT", memory)
    if (threads := get("DBT_THREADS")) is not None:
        kwargs["dbt_threads"] = _number("DBT_THREADS", threads, int, 1, 64)
    if (verbose := get("VERBOSE")) is not None:
        if verbose not in ("0", "1"):
            raise SettingsError(f"VERBOSE={verbose!r} is not 0 or 1")
        kwargs["verbose"] = verbose == "1"
    if (dbt_vars := get("DBT_VARS")) is not None:
        kwargs["dbt_vars"] = _dbt_vars(dbt_vars)
    kwargs["partitions_start"] = partitions_start(env)
    if (empty_days := get("ALLOW_EMPTY_DAYS")) is not None:
        kwargs["allow_empty_days"] = tuple(
            sorted({_date("ALLOW_EMPTY_DAYS", day) for day in empty_days.split(",") if day.strip()})
        )
    data_dir = Path(get("DATA_DIR") or REPO_ROOT / "data").absolute()
    kwargs["data_dir"] = data_dir
    kwargs["landing_dir"] = Path(get("LANDING_DIR") or data_dir / "landing").absolute()
    settings = Settings(**kwargs)
    if settings.source == "simulator":  # the files source takes its days from the files, not from SIM_START
        if settings.history_start > settings.as_of:
            raise SettingsError(f"SIM_START={settings.history_start} is after AS_OF={settings.as_of}")
        if settings.history_start < settings.partitions_start:
            raise SettingsError(
                f"the simulated history would start on {settings.history_start} (SIM_START, or AS_OF - "
                f"{HISTORY_DAYS - 1} days), before PARTITIONS_START={settings.partitions_start}, the first partition: "
                "set a later AS_OF or SIM_START, or an earlier PARTITIONS_START"
            )
    return settings


def partitions_start(env: Mapping[str, str] | None = None) -> dt.date:
    """PARTITIONS_START, validated: read by load_settings and, at import, by defs/partitions.py (Dagster's partition
    set is built when the definitions load, so the CLI and `make dev` must see the same value: both read the env)."""
    env = os.environ if env is None else env
    value = env.get("PARTITIONS_START") or ""
    if not value.strip():
        return PARTITIONS_START
    day = _date("PARTITIONS_START", value)
    if not EARLIEST_PARTITIONS_START <= day <= dt.date.today():
        raise SettingsError(
            f"PARTITIONS_START={value!r} is out of range: use a day from {EARLIEST_PARTITIONS_START} to today"
        )
    return day


def ensure_writable(settings: Settings) -> None:
    """Create the data folders, or fail with one line naming DATA_DIR."""
    for folder in (settings.data_dir, settings.build_db.parent, settings.serving_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-probe"
            probe.write_text("ok")
            probe.unlink()
        except OSError as error:
            raise SettingsError(
                f"DATA_DIR={settings.data_dir} is not writable ({folder}: {error.strerror}): "
                "point DATA_DIR at a folder you can write"
            ) from None
