"""The inbox claims a drop only when it is complete: a quiet period, no unfinished CSV line, or a READY
marker (issue #14 item 5)."""

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context

from pipelines.sensors import inbox_sensor
from valuedata import inbox

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)
ROWS = "deal_id,account_name\n" + "".join(f'D{i},"Acme, {i}"\n' for i in range(20000))


def drop(folder: Path, name: str, text: str, age: float = 0.0) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def looks(folder: Path, times: int) -> inbox.InboxTick:
    tick = inbox.check_inbox(folder, {}, NOW)
    for _ in range(times - 1):
        tick = inbox.check_inbox(folder, tick.snapshot, NOW)
    return tick


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setenv("VALUEDATA_INBOX_QUIET_SECONDS", "60")


def test_a_drop_younger_than_the_quiet_period_waits(tmp_path):
    drop(tmp_path, "deals.csv", ROWS, age=5)
    tick = looks(tmp_path, 3)
    assert tick.claimed is None
    assert len(tick.waiting) == 1 and tick.waiting[0].startswith("deals.csv: changed 5 s ago, waiting for 60 s")
    os.utime(tmp_path / "deals.csv", (time.time() - 61, time.time() - 61))
    tick = looks(tmp_path, 2)
    assert tick.claimed is not None and (tick.claimed / "deals.csv").read_text() == ROWS


def test_the_quiet_period_is_configurable(tmp_path, monkeypatch):
    monkeypatch.setenv("VALUEDATA_INBOX_QUIET_SECONDS", "2")
    drop(tmp_path, "deals.csv", ROWS, age=3)
    assert looks(tmp_path, 2).claimed is not None


@pytest.mark.parametrize("cut, why", [
    (200_000, "its last line is unfinished (no newline at the end)"),
    (ROWS.index('"Acme, 700') + 3, "a quoted value is still open at the end"),
])
def test_a_half_copied_csv_is_left_alone_however_old(tmp_path, cut, why):
    partial = ROWS[:cut]
    if why.startswith("a quoted"):
        partial += "\n"  # a newline inside the open quote: the line looks finished, the value is not
    drop(tmp_path, "deals.csv", partial, age=7 * 24 * 3600)
    tick = looks(tmp_path, 5)
    assert tick.claimed is None and tick.rejected is None
    assert tick.waiting == (f"deals.csv: {why}; left alone until the copy is complete",)
    assert (tmp_path / "deals.csv").read_text() == partial


def test_a_complete_file_beside_an_unfinished_one_waits_with_it(tmp_path):
    drop(tmp_path, "reps.csv", "rep_id\nr1\n", age=3600)
    drop(tmp_path, "deals.csv", ROWS[:1000], age=3600)
    assert looks(tmp_path, 3).claimed is None and (tmp_path / "reps.csv").exists()


def test_a_ready_marker_claims_at_once_and_moves_with_the_batch(tmp_path):
    drop(tmp_path, "deals.csv", ROWS)
    drop(tmp_path, inbox.MARKER, "")
    tick = looks(tmp_path, 2)
    assert tick.claimed is not None
    assert sorted(p.name for p in tick.claimed.iterdir()) == ["READY", "deals.csv"]


def test_a_ready_marker_does_not_claim_an_unfinished_csv(tmp_path):
    drop(tmp_path, "deals.csv", ROWS[:5000])
    drop(tmp_path, inbox.MARKER, "")
    assert looks(tmp_path, 3).claimed is None


def test_the_sensor_says_why_it_waits(tmp_path, monkeypatch):
    folder = tmp_path / "inbox"
    monkeypatch.setenv("VALUEDATA_INBOX", str(folder))
    drop(folder, "deals.csv", ROWS[:999], age=3600)
    with DagsterInstance.ephemeral() as instance:
        first = inbox_sensor.evaluate_tick(build_sensor_context(instance=instance))
        second = inbox_sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=first.cursor))
    assert second.run_requests == []
    assert "deals.csv: its last line is unfinished" in second.skip_message


def test_a_bad_quiet_setting_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("VALUEDATA_INBOX_QUIET_SECONDS", "a minute")
    drop(tmp_path, "deals.csv", ROWS, age=100)
    with pytest.raises(inbox.ValuedataError, match="VALUEDATA_INBOX_QUIET_SECONDS='a minute' is not valid: it should hold seconds"):
        looks(tmp_path, 2)
