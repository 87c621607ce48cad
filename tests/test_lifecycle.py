"""The warehouse file's life: analysts hold it open while runs publish; failed runs change nothing."""

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from conftest import query, run_cli
from pipelines.run import run_pipeline
from valuedata.config import Settings
from valuedata.errors import ValuedataError
from valuedata.warehouse import lifecycle
from valuedata.warehouse.lifecycle import StagingConnections, Warehouse

READER = textwrap.dedent("""
    import sys, time, duckdb
    conn = duckdb.connect(sys.argv[1], read_only=True)
    before = conn.execute("SELECT count(*) FROM core.deals").fetchall()[0][0]
    print("open", before, flush=True)
    sys.stdin.readline()                      # hold the file open until told to read again
    after = conn.execute("SELECT count(*) FROM core.deals").fetchall()[0][0]
    tables = conn.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'core'").fetchall()[0][0]
    print("still", after, tables, flush=True)
""")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rerun_while_an_analyst_holds_the_file_open(mini_world, tmp_path):
    world = mini_world.copy(tmp_path / "world")
    warehouse = world.warehouse
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().split() == ["open", "5"]
        # the analyst's file stays open; a new export adds a deal and the pipeline runs again
        with open(world.input_dir / "deals.csv", "a") as deals:
            deals.write("D20,A20,New,manufacturing,r1,10,USD,2025-03-01,,open,inbound,2\n")
        second = run_pipeline(Settings.resolve(world.input_dir, warehouse, world.dashboards))
        assert second.success, second.failure
        # the open reader still sees its complete, consistent snapshot
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().split() == ["still", "5", "9"]  # 9 core tables, engagement_tags too
    finally:
        reader.kill()
    # a new reader sees the new warehouse
    assert query(warehouse, "SELECT count(*) FROM core.deals") == [(6,)]


def test_same_files_again_give_the_same_warehouse(mini_world, tmp_path):
    world = mini_world.copy(tmp_path / "world")
    tables = ["core.deals", "core.reps", "core.engagements", "analytics.deal_coverage", "audit.quarantine",
              "audit.unmapped_titles", "core.value_map_items"]

    def snapshot() -> dict:
        return {t: sorted(map(repr, query(world.warehouse, f"SELECT * FROM {t}"))) for t in tables}

    before = snapshot()
    again = run_pipeline(Settings.resolve(world.input_dir, world.warehouse, world.dashboards))
    assert again.success, again.failure
    assert snapshot() == before
    statuses = query(world.warehouse, "SELECT status FROM audit.loads ORDER BY loaded_at DESC, load_seq LIMIT 3")
    assert all(s.startswith("unchanged since") for (s,) in statuses)


def test_broken_map_refused_naming_its_file_and_warehouse_untouched(mini_world, tmp_path):
    world = mini_world.copy(tmp_path / "world")
    before = sha(world.warehouse)
    bad = world.input_dir / "maps" / "controls.yaml"
    bad.write_text(bad.read_text().replace("addresses: [downtime]", "addresses: [no_such_issue]"))
    result = run_cli("run", "--input", str(world.input_dir), "--warehouse", str(world.warehouse))
    assert result.returncode != 0
    assert "controls.yaml" in result.stderr and "no_such_issue" in result.stderr
    assert "Traceback" not in result.stderr
    assert sha(world.warehouse) == before
    assert not list(world.warehouse.parent.glob("*.building*"))  # the failed run's staging file is gone


def failed_run(input_dir: Path, warehouse: Path) -> str:
    """Why a run that must fail failed (what `valuedata run` prints before exiting with 1)."""
    outcome = run_pipeline(Settings.resolve(input_dir, warehouse, warehouse.parent / "dash"))
    assert not outcome.success
    return outcome.failure


def test_missing_required_column_is_fatal_and_named(mini_input, tmp_path):
    deals = mini_input / "deals.csv"
    deals.write_text(deals.read_text().replace("deal_id,account_id", "id,account_id", 1))
    assert "deals.csv: header (line 1): required column(s) missing: deal_id" in failed_run(mini_input,
                                                                                             tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


def test_not_a_csv_is_fatal_and_named(mini_input, tmp_path):
    (mini_input / "reps.csv").write_bytes(b"\x00\x01\x02 binary junk \xff\xfe")
    failure = failed_run(mini_input, tmp_path / "w.duckdb")
    assert "reps.csv" in failure and "Traceback" not in failure


def test_missing_deals_file_is_fatal(mini_input, tmp_path):
    (mini_input / "deals.csv").unlink()
    result = run_cli("validate", "--input", str(mini_input))
    assert result.returncode == 1 and "deals.csv: file: is missing" in result.stdout + result.stderr


def test_a_second_builder_is_refused_while_one_runs(tmp_path):
    store = Warehouse(tmp_path / "valuedata.duckdb")
    with store.build_lock():
        with pytest.raises(ValuedataError, match="another valuedata run is building"):
            with store.build_lock():
                pass


def test_a_small_staging_file_stays_open_between_steps_and_a_large_one_is_let_go(tmp_path, monkeypatch):
    staging = StagingConnections(tmp_path / "staging.duckdb")
    with staging.connect() as conn:
        conn.execute("CREATE TABLE t AS SELECT range AS i FROM range(10)")
    assert staging.held
    with pytest.raises(duckdb.ConnectionException, match="different configuration"):
        duckdb.connect(str(tmp_path / "staging.duckdb"), read_only=True)  # the database is still open here
    with staging.connect() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 10
    monkeypatch.setattr(lifecycle, "HOLD_OPEN_BYTES", 0)
    with staging.connect() as conn:
        conn.execute("INSERT INTO t VALUES (10)")
    assert not staging.held
    with duckdb.connect(str(tmp_path / "staging.duckdb"), read_only=True) as reader:  # closed, so openable read-only
        assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 11
