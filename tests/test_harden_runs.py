"""Runs: a second concurrent run says who is building (item 3); `valuedata run` records into the project's
Dagster instance (item 7); open_current sees a publish made in the same process (item 6)."""

import shutil
import subprocess
import sys

import duckdb
from dagster import DagsterInstance, DagsterRunStatus

from conftest import DATA, VALUEDATA, run_cli
from pipelines.run import run_pipeline
from valuedata.config import Settings
from valuedata.warehouse import open_current

HOLD_LOCK = """
import sys, time
from pathlib import Path
from valuedata.warehouse.lifecycle import Warehouse
with Warehouse(Path(sys.argv[1])).build_lock():
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_second_run_says_another_run_is_building_since_when_and_which_process(tmp_path):
    shutil.copytree(DATA / "mini", tmp_path / "input")
    warehouse = tmp_path / "valuedata.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run_cli("run", "--input", str(tmp_path / "input"), "--warehouse", str(warehouse),
                         "--dashboards", str(tmp_path / "dash"))
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert f"another valuedata run is building {warehouse} since 20" in result.stderr
    assert f"(process {holder.pid} on " in result.stderr
    assert "error: \n" not in result.stderr and "the published warehouse was not changed" in result.stderr
    assert not warehouse.exists()


def test_two_runs_at_once_one_succeeds_the_other_is_refused(tmp_path):
    shutil.copytree(DATA / "mini", tmp_path / "input")
    warehouse = tmp_path / "valuedata.duckdb"
    args = [str(VALUEDATA), "run", "--input", str(tmp_path / "input"), "--warehouse", str(warehouse)]
    # started together, both reach the build lock after the same imports; the first to take it holds it for a
    # whole run, far longer than the two starts differ
    runs = [subprocess.Popen(args + ["--dashboards", str(tmp_path / name)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for name in ("d1", "d2")]
    errors = [run.communicate(timeout=600)[1] for run in runs]
    results = sorted(zip((run.returncode for run in runs), errors))
    assert [code for code, _ in results] == [0, 1], results
    assert "another valuedata run is building" in results[1][1], results[1][1]
    assert duckdb.connect(str(warehouse), read_only=True).execute("SELECT count(*) FROM core.deals").fetchone()[0] == 5


def test_valuedata_run_records_into_the_dagster_instance(tmp_path, sqlite_dagster_home):
    shutil.copytree(DATA / "mini", tmp_path / "input")
    settings = Settings.resolve(tmp_path / "input", tmp_path / "valuedata.duckdb", tmp_path / "dash")
    assert run_pipeline(settings).success
    with DagsterInstance.from_config(str(sqlite_dagster_home)) as instance:
        runs = instance.get_runs()
        assert runs and runs[0].job_name == "weekly_refit" and runs[0].status == DagsterRunStatus.SUCCESS
        event = instance.get_latest_materialization_event(__import__("dagster").AssetKey(["warehouse", "published"]))
        assert event is not None and event.run_id == runs[0].run_id


def test_open_current_sees_a_publish_made_in_the_same_process(mini_world, tmp_path):
    world = mini_world.copy(tmp_path / "world")
    settings = Settings.resolve(world.input_dir, world.warehouse, world.dashboards)
    held = duckdb.connect(str(settings.warehouse), read_only=True)
    with open_current(settings.warehouse) as conn:
        assert conn.execute("SELECT count(*) FROM core.deals").fetchone()[0] == 5
    deals = world.input_dir / "deals.csv"
    deals.write_text(deals.read_text() + "D99,A9,Zed,manufacturing,r1,10,USD,2025-03-01,,open,inbound,1\n")
    assert run_pipeline(settings).success
    stale = duckdb.connect(str(settings.warehouse), read_only=True)  # DuckDB reuses the open instance
    assert stale.execute("SELECT count(*) FROM core.deals").fetchone()[0] == 5
    with open_current(settings.warehouse) as conn:
        assert conn.execute("SELECT count(*) FROM core.deals").fetchone()[0] == 6
        assert conn.execute("SELECT count(*) FROM valuedata.core.deals").fetchone()[0] == 6
    held.close()
    stale.close()
