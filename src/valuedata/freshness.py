"""How old the inputs and the published warehouse are, against the limits in `Settings`.

Input age: hours since the newest thing the inputs hold — the newest deal's created_at, the newest
engagement's occurred_at, or the last time a file with new content was loaded (raw.loads.loaded_at),
whichever is latest. Warehouse age: hours since the published warehouse file was last replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from valuedata.warehouse.sql import fetch_one, run_sql

@dataclass(frozen=True)
class Age:
    """How old something is (None: never seen) and whether that is within its limit."""

    what: str
    newest_at: datetime | None
    measured_at: datetime
    limit_hours: float

    @property
    def hours(self) -> float | None:
        """The age in hours, to one decimal."""
        return None if self._exact_hours is None else round(self._exact_hours, 1)

    @property
    def fresh(self) -> bool:
        return self._exact_hours is not None and self._exact_hours <= self.limit_hours

    @property
    def _exact_hours(self) -> float | None:
        return None if self.newest_at is None else (self.measured_at - self.newest_at).total_seconds() / 3600

    @property
    def message(self) -> str:
        if self.newest_at is None:
            return f"{self.what} does not exist yet"
        verdict = "within" if self.fresh else "older than"
        return (f"{self.what} is {self.hours:g} hours old (newest {self.newest_at:%Y-%m-%d %H:%M} UTC), "
                f"{verdict} the {self.limit_hours:g}-hour limit")


@dataclass(frozen=True)
class InputFreshness:
    """The newest deal, engagement and newly loaded file in a warehouse being built, and their age."""

    newest_deal_created_at: datetime | None
    newest_engagement_at: datetime | None
    newest_file_loaded_at: datetime | None
    age: Age


def measure_inputs(conn: duckdb.DuckDBPyConnection, now: datetime, limit_hours: float) -> InputFreshness:
    """Input freshness from core.deals, core.engagements and raw.loads on `conn`."""
    deal, engagement, loaded = (_utc(v) for v in fetch_one(conn, """
        SELECT (SELECT max(created_at) FROM core.deals), (SELECT max(occurred_at) FROM core.engagements),
               (SELECT max(loaded_at) FROM raw.loads)"""))
    newest = max((t for t in (deal, engagement, loaded) if t is not None), default=None)
    return InputFreshness(deal, engagement, loaded, Age("the newest input", newest, now, limit_hours))


def build_freshness_table(conn: duckdb.DuckDBPyConnection, now: datetime, limit_hours: float) -> InputFreshness:
    """Write audit.freshness, one row the dashboards read: input dates, when this warehouse was published, ages."""
    inputs = measure_inputs(conn, now, limit_hours)
    frame = pl.DataFrame([{
        "newest_deal_created_at": _naive(inputs.newest_deal_created_at),
        "newest_engagement_at": _naive(inputs.newest_engagement_at),
        "newest_file_loaded_at": _naive(inputs.newest_file_loaded_at),
        "newest_input_at": _naive(inputs.age.newest_at),
        "published_at": _naive(now),
        "input_age_hours": inputs.age.hours,
        "max_input_age_hours": limit_hours,
        "inputs_fresh": inputs.age.fresh,
    }], schema={"newest_deal_created_at": pl.Datetime, "newest_engagement_at": pl.Datetime,
                "newest_file_loaded_at": pl.Datetime, "newest_input_at": pl.Datetime, "published_at": pl.Datetime,
                "input_age_hours": pl.Float64, "max_input_age_hours": pl.Float64, "inputs_fresh": pl.Boolean})
    conn.register("freshness_frame", frame)
    run_sql(conn, "audit/freshness.sql")
    conn.unregister("freshness_frame")
    return inputs


def warehouse_age(warehouse: Path, now: datetime, limit_hours: float) -> Age:
    """Age of the published warehouse file (its modification time is when it was last published)."""
    published = datetime.fromtimestamp(warehouse.stat().st_mtime, timezone.utc) if warehouse.exists() else None
    return Age(f"the published warehouse ({warehouse})", published, now, limit_hours)



def _utc(value: date | datetime | None) -> datetime | None:
    """A DuckDB DATE / naive UTC TIMESTAMP as an aware UTC datetime."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=timezone.utc)


def _naive(value: datetime | None) -> datetime | None:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value else None
