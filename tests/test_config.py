"""One settings object: every VALUEDATA_* variable is declared once, documented, and read only by config.py."""

import re
from dataclasses import fields
from pathlib import Path

import pytest

from valuedata.config import SETTINGS, Settings
from valuedata.errors import ValuedataError

REPO = Path(__file__).resolve().parents[1]


def test_given_values_win_over_the_environment_over_defaults(monkeypatch):
    for setting in SETTINGS.values():
        monkeypatch.delenv(setting.env, raising=False)
    monkeypatch.setenv("VALUEDATA_WAREHOUSE", "/tmp/env.duckdb")
    monkeypatch.setenv("VALUEDATA_MAX_INPUT_AGE_HOURS", "6.5")
    settings = Settings.resolve(input_dir=Path("given"), nightly_cron="0 3 * * *")
    assert settings.input_dir == Path("given") and settings.nightly_cron == "0 3 * * *"
    assert settings.warehouse == Path("/tmp/env.duckdb") and settings.max_input_age_hours == 6.5
    assert settings.dashboards == Path("dashboards/out") and settings.inbox_quiet_seconds == 60 and settings.dashboard_png


def test_a_bad_variable_is_named_with_what_it_should_hold(monkeypatch):
    monkeypatch.setenv("VALUEDATA_INBOX_QUIET_SECONDS", "a minute")
    with pytest.raises(ValuedataError, match=r"VALUEDATA_INBOX_QUIET_SECONDS='a minute' is not valid: it should hold seconds"):
        Settings.resolve()
    monkeypatch.setenv("VALUEDATA_INBOX_QUIET_SECONDS", "60")
    monkeypatch.setenv("VALUEDATA_DASHBOARD_PNG", "yes")
    with pytest.raises(ValuedataError, match="VALUEDATA_DASHBOARD_PNG='yes'"):
        Settings.resolve()


def test_every_setting_is_a_field_documented_once_and_read_only_here():
    assert {f.name for f in fields(Settings)} == {*SETTINGS, "batch_dir"}
    operations = (REPO / "docs" / "operations.md").read_text()
    assert all(s.env in operations for s in SETTINGS.values())
    readers = [p for p in (REPO / "src").rglob("*.py") if re.search(r"os\.environ|getenv", p.read_text())]
    readers += [p for p in (REPO / "pipelines").rglob("*.py") if re.search(r"os\.environ\.get\(\"VALUEDATA", p.read_text())]
    assert [p.relative_to(REPO).as_posix() for p in readers if "VALUEDATA" in p.read_text()] == ["src/valuedata/config.py"]
