"""Schedules and sensors, driven with Dagster's own test contexts against real (in-process) runs."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dagster import (AssetKey, DagsterEventType, DagsterInstance, SensorResult, build_run_status_sensor_context,
                     build_schedule_context, build_sensor_context)

from conftest import REPO, query
from pipelines.definitions import defs
from pipelines.freshness import warehouse_freshness_sensor
from pipelines.schedules import build_schedules, nightly_refresh, refit_when_due, weekly_refit
from pipelines.sensors import BATCH_TAG, inbox_archive, inbox_reject, inbox_reject_canceled, inbox_sensor
from valuedata import inbox
from valuedata.config import Settings

NEW_DEAL = "D900,A900,Nine Hundred,manufacturing,r1,900,USD,2025-06-01,,open,inbound,9\n"


@pytest.fixture
def inbox_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "inbox"
    monkeypatch.setenv("VALUEDATA_INBOX", str(folder))
    monkeypatch.setenv("VALUEDATA_WAREHOUSE", str(tmp_path / "v.duckdb"))  # none yet: the sensor asks for weekly_refit
    monkeypatch.setenv("VALUEDATA_INBOX_QUIET_SECONDS", "0")
    return folder


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as instance:
        yield instance


def tick(instance: DagsterInstance, cursor: str | None):
    return inbox_sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor))


def test_half_copied_file_waits_stable_file_runs_once(inbox_folder: Path, instance: DagsterInstance) -> None:
    inbox_folder.mkdir()
    deals = inbox_folder / "deals.csv"
    deals.write_text("deal_id,account_id\n")
    first = tick(instance, None)
    assert first.run_requests == [] and "waiting for deals.csv" in first.skip_message

    deals.write_text("deal_id,account_id\nD1,A1\n")  # still being copied
    second = tick(instance, first.cursor)
    assert second.run_requests == []

    third = tick(instance, second.cursor)
    [request] = third.run_requests
    [batch] = inbox.claimed_batches(inbox_folder)
    assert request.run_key == batch.name and request.tags[BATCH_TAG] == batch.name
    assert request.job_name == "weekly_refit"  # no stored win models yet; see test_delta.py for nightly
    assert request.run_config == {"resources": {"warehouse": {"config": {"batch_dir": str(batch.resolve())}}}}
    assert (batch / "deals.csv").read_text() == "deal_id,account_id\nD1,A1\n" and not deals.exists()

    fourth = tick(instance, third.cursor)
    assert fourth.run_requests == [] and fourth.skip_message


def test_a_claimed_batch_not_yet_requested_is_requested_again(inbox_folder: Path, instance: DagsterInstance) -> None:
    """The sensor moved a drop but its tick did not complete: the next tick still asks for the run."""
    batch = inbox_folder / inbox.BATCHES / "20260302-083000-abcdef12"
    batch.mkdir(parents=True)
    (batch / "deals.csv").write_text("deal_id\n")
    [request] = tick(instance, inbox.InboxCursor().to_json()).run_requests
    assert request.run_key == batch.name


def test_the_schedules_run_the_nightly_and_the_weekly_refit_job(instance: DagsterInstance, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Nightly and weekly runs are different jobs; without stored models the night goes to the refit."""
    monkeypatch.setenv("VALUEDATA_WAREHOUSE", str(tmp_path / "none.duckdb"))
    assert {s.name: s.job_name for s in defs.schedules} == {
        "nightly_refresh": "nightly", "refit_when_due": "weekly_refit", "weekly_refit": "weekly_refit"}
    nightly_assets = defs.resolve_job_def("nightly").asset_layer.executable_asset_keys
    assert AssetKey(["analytics", "open_deal_scores"]) in nightly_assets and AssetKey(["warehouse", "published"]) \
        in nightly_assets
    assert not {AssetKey(["models", "segment_models"]), AssetKey(["analytics", "driver_effects"]),
                AssetKey(["analytics", "rep_scorecard"]), AssetKey(["analytics", "playbook"])} & nightly_assets
    when = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)
    context = build_schedule_context(instance=instance, scheduled_execution_time=when)
    assert nightly_refresh.evaluate_tick(context).run_requests == []
    for schedule, reason in ((refit_when_due, "refit-due"), (weekly_refit, "weekly-refit")):
        [request] = schedule.evaluate_tick(context).run_requests
        assert request.tags["valuedata/reason"] == reason
    assert all(s.default_status.value == "RUNNING" for s in defs.schedules)
    assert (nightly_refresh.cron_schedule, refit_when_due.cron_schedule, weekly_refit.cron_schedule) == (
        "0 2 * * *", "0 2 * * *", "0 4 * * 0")
    assert nightly_refresh.execution_timezone == "UTC"


def test_schedule_times_come_from_the_environment(monkeypatch) -> None:
    for name, value in {"VALUEDATA_NIGHTLY_CRON": "30 1 * * *", "VALUEDATA_WEEKLY_CRON": "0 5 * * 6",
                        "VALUEDATA_TIMEZONE": "Europe/Berlin"}.items():
        monkeypatch.setenv(name, value)
    nightly, refit, weekly = build_schedules(Settings.resolve())
    assert (nightly.cron_schedule, refit.cron_schedule, weekly.cron_schedule) == (
        "30 1 * * *", "30 1 * * *", "0 5 * * 6")
    assert {nightly.execution_timezone, refit.execution_timezone, weekly.execution_timezone} == {"Europe/Berlin"}


def test_definitions_validate() -> None:
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run([str(dagster), "definitions", "validate", "-m", "pipelines.definitions"], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert {"inbox_sensor", "inbox_archive", "inbox_reject", "inbox_reject_canceled", "warehouse_freshness"} <= {
        s.name for s in defs.sensors}


def run_batch(instance: DagsterInstance, mini_input: Path, tmp_path: Path, batch: Path):
    """The weekly_refit job on the mini input plus `batch`, as the inbox sensor requests it for a warehouse
    without stored win models."""
    config = {"input_dir": str(mini_input), "warehouse": str(tmp_path / "v.duckdb"),
              "dashboards": str(tmp_path / "dashboards"), "batch_dir": str(batch.resolve())}
    return defs.resolve_job_def("weekly_refit").execute_in_process(
        run_config={"resources": {"warehouse": {"config": config}}}, instance=instance,
        tags={BATCH_TAG: batch.name}, raise_on_error=False)


def claimed_batch(inbox_folder: Path, deals: str) -> Path:
    batch = inbox_folder / inbox.BATCHES / "20260302-083000-abcdef12"
    batch.mkdir(parents=True)
    (batch / "deals.csv").write_text(deals)
    return batch


def test_a_loaded_batch_is_archived_with_its_row_counts(inbox_folder: Path, instance: DagsterInstance,
                                                        mini_input: Path, tmp_path: Path) -> None:
    deals = (mini_input / "deals.csv").read_text().splitlines(keepends=True)[0] + NEW_DEAL
    batch = claimed_batch(inbox_folder, deals)
    result = run_batch(instance, mini_input, tmp_path, batch)
    assert result.success
    assert query(tmp_path / "v.duckdb", "SELECT deal_id FROM core.deals WHERE deal_id = 'D900'") == [("D900",)]
    checks = {e.event_specific_data.check_name: e.event_specific_data for e in result.all_events
              if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION}
    assert checks["inputs_fresh"].passed and checks["warehouse_fresh"].passed

    context = build_run_status_sensor_context(sensor_name="inbox_archive", dagster_instance=instance,
                                              dagster_run=result.dagster_run,
                                              dagster_event=result.get_run_success_event())
    inbox_archive(context)
    archived = inbox_folder / inbox.ARCHIVE / result.run_id
    assert (archived / "deals.csv").read_text() == deals and not batch.exists()
    report = (archived / "REPORT.txt").read_text()
    assert "deals.csv: 1 rows read, 1 loaded, 0 set aside" in report, report


def test_a_failed_batch_is_rejected_with_the_reason_and_how_to_resubmit(
        inbox_folder: Path, instance: DagsterInstance, mini_input: Path, tmp_path: Path) -> None:
    batch = claimed_batch(inbox_folder, "deal_id,account_id,segment,rep_id,outcome\nD900,A900,manufacturing,r1,open\n")
    result = run_batch(instance, mini_input, tmp_path, batch)
    assert not result.success

    context = build_run_status_sensor_context(sensor_name="inbox_reject", dagster_instance=instance,
                                              dagster_run=result.dagster_run,
                                              dagster_event=result.get_run_failure_event()).for_run_failure()
    inbox_reject(context)
    rejected = inbox_folder / inbox.REJECTED / result.run_id
    assert (rejected / "deals.csv").is_file() and not batch.exists()
    report = (rejected / "REPORT.txt").read_text()
    assert "  - deals.csv: header (line 1): required column(s) missing: created_at" in report, report
    assert "How to resubmit" in report and "Nothing in the warehouse changed" in report
    assert not (tmp_path / "v.duckdb").exists()

    inbox_reject(context)  # the same run reported twice: nothing left to move, nothing lost
    assert (rejected / "deals.csv").is_file()
    assert tick(instance, None).run_requests == []


def test_runs_without_a_batch_are_left_alone(inbox_folder: Path, instance: DagsterInstance, mini_input: Path,
                                             tmp_path: Path) -> None:
    config = {"input_dir": str(mini_input), "warehouse": str(tmp_path / "v.duckdb")}
    result = defs.resolve_job_def("weekly_refit").execute_in_process(
        run_config={"resources": {"warehouse": {"config": config}}}, instance=instance)
    context = build_run_status_sensor_context(sensor_name="inbox_archive", dagster_instance=instance,
                                              dagster_run=result.dagster_run,
                                              dagster_event=result.get_run_success_event())
    assert inbox_archive(context) is not None
    assert inbox_reject_canceled(context) is not None
    assert not inbox_folder.exists()


def test_warehouse_freshness_is_reported_when_the_verdict_changes(tmp_path: Path, instance: DagsterInstance,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VALUEDATA_WAREHOUSE", str(tmp_path / "v.duckdb"))
    first = warehouse_freshness_sensor(build_sensor_context(instance=instance))
    assert isinstance(first, SensorResult) and first.cursor == "stale"
    [evaluation] = first.asset_events
    assert evaluation.check_name == "warehouse_fresh" and not evaluation.passed
    assert evaluation.severity.value == "WARN"

    assert warehouse_freshness_sensor(build_sensor_context(instance=instance, cursor="stale")).skip_message
    (tmp_path / "v.duckdb").write_bytes(b"")
    again = warehouse_freshness_sensor(build_sensor_context(instance=instance, cursor="stale"))
    assert again.cursor == "fresh" and again.asset_events[0].passed


def test_the_example_instance_config_loads(tmp_path: Path) -> None:
    example = (REPO / "dagster.yaml.example").read_text()
    (tmp_path / "dagster.yaml").write_text(example.replace("/var/lib/valuedata/dagster_home", str(tmp_path)))
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert instance.run_monitoring_enabled
