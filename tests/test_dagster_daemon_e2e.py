"""End to end: a real dagster-daemon picks up a drop from the inbox, runs `weekly_refit` on it (the warehouse has no
stored win models yet) and archives it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from conftest import REPO, query
from pipelines.sensors import BATCH_TAG

TIMEOUT_SECONDS = 110
NEW_DEAL = "D900,A900,Nine Hundred,manufacturing,r1,900,USD,2025-06-01,,open,inbound,9\n"


@pytest.fixture
def daemon(tmp_path: Path, mini_input: Path):
    """dagster-daemon with the valuedata code location, dagster.yaml.example in a temporary DAGSTER_HOME and
    1-second sensors."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    example = (REPO / "dagster.yaml.example").read_text()
    (home / "dagster.yaml").write_text(example.replace("/var/lib/valuedata/dagster_home", str(home)))
    env = {**os.environ, "DAGSTER_HOME": str(home), "VALUEDATA_INPUT": str(mini_input),
           "VALUEDATA_WAREHOUSE": str(tmp_path / "warehouse" / "v.duckdb"),
           "VALUEDATA_DASHBOARDS": str(tmp_path / "dashboards"), "VALUEDATA_INBOX": str(tmp_path / "inbox"),
           "VALUEDATA_SENSOR_INTERVAL_SECONDS": "1", "VALUEDATA_INBOX_QUIET_SECONDS": "1"}
    log = (tmp_path / "daemon.log").open("w")
    process = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run",
                                "-m", "pipelines.definitions"],
                               cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def wait_for(condition, what: str, daemon: subprocess.Popen, log: Path):
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline and daemon.poll() is None:
        found = condition()
        if found:
            return found
        time.sleep(1)
    pytest.fail(f"gave up waiting for {what}; daemon log:\n{log.read_text()[-4000:]}")


@pytest.mark.slow  # fast siblings: test_schedules_sensors.py (sensor ticks, batches archived and rejected, example config)
def test_a_drop_in_the_inbox_is_loaded_and_archived(daemon: subprocess.Popen, tmp_path: Path,
                                                    mini_input: Path) -> None:
    inbox = tmp_path / "inbox"
    log = tmp_path / "daemon.log"
    wait_for(inbox.is_dir, "the inbox sensor's first tick", daemon, log)
    header = (mini_input / "deals.csv").read_text().splitlines(keepends=True)[0]
    (inbox / "deals.csv").write_text(header + NEW_DEAL)

    def archived() -> Path | None:
        rejected = list((inbox / "rejected").glob("*/REPORT.txt"))
        if rejected:
            pytest.fail(f"the drop was rejected:\n{rejected[0].read_text()}")
        return next((p.parent for p in (inbox / "archive").glob("*/deals.csv")), None)

    folder = wait_for(archived, "the drop to be archived", daemon, log)
    assert not (inbox / "deals.csv").exists() and "1 loaded" in (folder / "REPORT.txt").read_text()
    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        [run] = instance.get_runs(RunsFilter(job_name="weekly_refit"))
        assert run.status == DagsterRunStatus.SUCCESS and run.run_id == folder.name
        assert BATCH_TAG in run.tags
    assert query(tmp_path / "warehouse" / "v.duckdb", "SELECT deal_id FROM core.deals WHERE deal_id = 'D900'") == \
        [("D900",)]
