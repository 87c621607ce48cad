"""A kill during the dashboard step leaves the old warehouse with the old dashboards (issue #14 item 7)."""

import os
import shutil
import signal
import subprocess
import time

import duckdb

from conftest import DATA, VALUEDATA, run_cli


def deals(warehouse) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute("SELECT count(*) FROM core.deals").fetchone()[0]


def test_a_run_killed_while_building_dashboards_changes_neither_warehouse_nor_dashboards(tmp_path):
    shutil.copytree(DATA / "mini", tmp_path / "input")
    warehouse, dashboards = tmp_path / "valuedata.duckdb", tmp_path / "dash"
    args = ["run", "--input", str(tmp_path / "input"), "--warehouse", str(warehouse), "--dashboards", str(dashboards)]
    env = {**os.environ, "VALUEDATA_DASHBOARD_PNG": "0"}
    assert run_cli(*args, env=env).returncode == 0
    index = (dashboards / "index.html").read_bytes()
    assert deals(warehouse) == 5 and not list(tmp_path.glob(".dash.*"))

    with open(tmp_path / "input" / "deals.csv", "a") as handle:
        handle.write("D99,A99,Zed,manufacturing,r1,10,USD,2025-03-01,,open,inbound,1\n")
    run = subprocess.Popen([str(VALUEDATA), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list(tmp_path.glob(".dash.*.building/*")) and run.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert deals(warehouse) == 5, "the warehouse was published before the dashboards were ready"
    assert (dashboards / "index.html").read_bytes() == index

    assert run_cli(*args, env=env).returncode == 0  # the next run cleans up and publishes both
    assert deals(warehouse) == 6 and (dashboards / "index.html").read_bytes() != index
    assert not list(tmp_path.glob(".dash.*")) and not list(tmp_path.glob(".valuedata.duckdb.*.building*"))
