"""A kill during the dashboard step leaves the old warehouse with the old dashboards (issue #14 item 7)."""

import signal
import subprocess
import time

import duckdb

from conftest import VALUEDATA
from pipelines.run import run_pipeline
from valuedata.config import Settings


def deals(warehouse) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute("SELECT count(*) FROM core.deals").fetchone()[0]


def test_a_run_killed_while_building_dashboards_changes_neither_warehouse_nor_dashboards(mini_world, tmp_path):
    world = mini_world.copy(tmp_path / "world")
    folder, warehouse, dashboards = tmp_path / "world", world.warehouse, world.dashboards
    args = ["run", "--input", str(world.input_dir), "--warehouse", str(warehouse), "--dashboards", str(dashboards)]
    index = (dashboards / "index.html").read_bytes()
    assert deals(warehouse) == 5

    with open(world.input_dir / "deals.csv", "a") as handle:
        handle.write("D99,A99,Zed,manufacturing,r1,10,USD,2025-03-01,,open,inbound,1\n")
    run = subprocess.Popen([str(VALUEDATA), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list(folder.glob(".dashboards.*.building/*")) and run.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert deals(warehouse) == 5, "the warehouse was published before the dashboards were ready"
    assert (dashboards / "index.html").read_bytes() == index

    next_run = run_pipeline(Settings.resolve(world.input_dir, warehouse, dashboards))
    assert next_run.success, next_run.failure  # the next run cleans up and publishes both
    assert deals(warehouse) == 6 and (dashboards / "index.html").read_bytes() != index
    assert not list(folder.glob(".dashboards.*")) and not list(folder.glob(".valuedata.duckdb.*.building*"))
