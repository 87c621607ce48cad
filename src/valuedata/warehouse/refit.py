"""When the stored win models are due a refit: nightly runs score open deals with the models the last full
run stored; once the warehouse holds 10% more closed deals than those models were trained on, the next
night refits them instead (besides the weekly refit)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from valuedata.analysis.stored_models import models_fitted
from valuedata.warehouse.lifecycle import open_current
from valuedata.warehouse.sql import fetch_one

REFIT_GROWTH = 0.10  # refit once closed deals grew by this share since the models were trained


@dataclass(frozen=True)
class RefitStatus:
    """The stored models (when fitted, on how many closed deals) against the closed deals now."""

    fitted_at: datetime | None
    trained_on: int | None
    closed_now: int

    @property
    def refit_at(self) -> int | None:
        """How many closed deals make a refit due."""
        return None if self.trained_on is None else math.ceil(self.trained_on * (1 + REFIT_GROWTH))

    @property
    def due(self) -> bool:
        return self.refit_at is None or self.closed_now >= self.refit_at

    def sentence(self) -> str:
        """The models, what closed since, and when a refit is due, in words."""
        if self.trained_on is None:
            return ("no stored win models (no full run yet, or too few closed deals to fit one): the next "
                    "weekly_refit, or `valuedata run`, fits them")
        since = self.closed_now - self.trained_on
        due = ("a refit is due now" if self.due else
               f"a refit is due at the weekly refit, or sooner once {self.refit_at:,} deals have closed "
               f"({REFIT_GROWTH:.0%} more than the models were trained on)")
        return (f"open deals scored with the stored models fitted {self.fitted_at:%Y-%m-%d %H:%M} UTC on "
                f"{self.trained_on:,} closed deals; {since:,} more deals closed since ({self.closed_now:,} now); {due}")


def published_refit_status(warehouse: Path) -> RefitStatus:
    """The refit status of the published warehouse; without one, no models: a refit (the first full run) is due."""
    if not warehouse.exists():
        return RefitStatus(None, None, 0)
    with open_current(warehouse) as conn:
        return refit_status(conn)


def refit_status(conn: duckdb.DuckDBPyConnection) -> RefitStatus:
    """The refit status of the warehouse `conn` reads."""
    fitted = models_fitted(conn)
    # counted as the models count them: won or lost, on a value map
    closed = fetch_one(conn, "SELECT count(*) FROM core.deals WHERE outcome IN ('won', 'lost') AND map_id IS NOT NULL")[0]
    if fitted is None:
        return RefitStatus(None, None, closed)
    return RefitStatus(fitted.fitted_at, fitted.closed_deals, closed)
