"""Every setting of valuedata in one place: command-line options win over VALUEDATA_* environment
variables over defaults. `SETTINGS` lists each with its variable, default and meaning (docs/operations.md
shows the same table); `Settings.resolve` is the only code that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valuedata.errors import ValuedataError


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, default (as text), what it means, and how to read the text."""

    env: str
    default: str
    meaning: str
    parse: Callable[[str], Any] = str


def _number(text: str) -> float:
    value = float(text)
    if value < 0:
        raise ValueError("negative")
    return value


def _switch(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("not 0 or 1")
    return text == "1"


SETTINGS: dict[str, Setting] = {
    "input_dir": Setting("VALUEDATA_INPUT", "seeds", "input folder: maps/, deals.csv, reps.csv, engagements.csv", Path),
    "warehouse": Setting("VALUEDATA_WAREHOUSE", "warehouse/valuedata.duckdb", "the published DuckDB warehouse file", Path),
    "dashboards": Setting("VALUEDATA_DASHBOARDS", "dashboards/out", "folder of the HTML dashboards", Path),
    "source": Setting("VALUEDATA_SOURCE", "native", "what the input folder holds: native, salesforce, hubspot or a mapping file"),
    "dashboard_png": Setting("VALUEDATA_DASHBOARD_PNG", "1", "1: also export each chart as PNG (needs Chromium); 0: HTML only", _switch),
    "inbox": Setting("VALUEDATA_INBOX", "inbox", "folder sales ops drop new CRM exports into", Path),
    "inbox_quiet_seconds": Setting("VALUEDATA_INBOX_QUIET_SECONDS", "60", "seconds every dropped file must stay unchanged before it is loaded", _number),
    "sensor_interval_seconds": Setting("VALUEDATA_SENSOR_INTERVAL_SECONDS", "30", "how often the inbox sensors look, in seconds", _number),
    "max_input_age_hours": Setting("VALUEDATA_MAX_INPUT_AGE_HOURS", "48", "warn when the newest input is older than this", _number),
    "max_warehouse_age_hours": Setting("VALUEDATA_MAX_WAREHOUSE_AGE_HOURS", "30", "warn when the published warehouse is older than this", _number),
    "timezone": Setting("VALUEDATA_TIMEZONE", "UTC", "timezone of the schedule times"),
    "nightly_cron": Setting("VALUEDATA_NIGHTLY_CRON", "0 2 * * *", "when the nightly run starts (cron)"),
    "weekly_cron": Setting("VALUEDATA_WEEKLY_CRON", "0 4 * * 0", "when the weekly model refit starts (cron)"),
}


@dataclass(frozen=True)
class Settings:
    """The settings of one run or daemon; `batch_dir` holds newly dropped exports (inbox) read after the input folder."""

    input_dir: Path
    warehouse: Path
    dashboards: Path
    source: str
    dashboard_png: bool
    inbox: Path
    inbox_quiet_seconds: float
    sensor_interval_seconds: float
    max_input_age_hours: float
    max_warehouse_age_hours: float
    timezone: str
    nightly_cron: str
    weekly_cron: str
    batch_dir: Path | None = None

    @classmethod
    def resolve(cls, input_dir: Path | None = None, warehouse: Path | None = None, dashboards: Path | None = None,
                source: str | None = None, batch_dir: Path | None = None, **given: Any) -> "Settings":
        """Settings from the values given (None: not given), else VALUEDATA_* environment variables, else defaults.
        A variable that does not parse stops with a message naming it and what it should hold."""
        given |= {"input_dir": input_dir, "warehouse": warehouse, "dashboards": dashboards, "source": source}
        values = {name: given[name] if given.get(name) is not None else _from_environment(name) for name in SETTINGS}
        return cls(**values, batch_dir=Path(batch_dir) if batch_dir else None)


def _from_environment(name: str) -> Any:
    setting = SETTINGS[name]
    text = os.environ.get(setting.env) or setting.default
    try:
        return setting.parse(text)
    except ValueError:
        raise ValuedataError(f"{setting.env}={text!r} is not valid: it should hold {setting.meaning} "
                             f"(default {setting.default!r}); fix or unset it") from None

