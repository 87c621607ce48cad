"""The real `valuedata` command in a subprocess: help, validate, sql."""

import csv
import io
import json

import pytest
import yaml

from conftest import REPO, query, run_cli


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["sql"], ["generate"], ["map", "export"], ["map", "import"]])
def test_every_command_explains_itself(command):
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout and len(result.stdout) > 300


def test_validate_reports_every_problem_and_writes_nothing(mini_input, tmp_path):
    before = sorted(p.name for p in mini_input.rglob("*"))
    result = run_cli("validate", "--input", str(mini_input), cwd=tmp_path)
    assert result.returncode == 1  # rows would be quarantined
    assert "deals: 18 rows, 5 would load, 13 would be quarantined" in result.stdout
    assert "deals.csv:7: bad_amount: amount 'abc'" in result.stdout
    assert sorted(p.name for p in mini_input.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["input"]  # no warehouse, no dashboards written


def test_validate_on_clean_input_exits_zero(mini_input):
    for name, keep in [("reps.csv", 3), ("deals.csv", 5), ("engagements.csv", 7)]:
        path = mini_input / name
        path.write_text("\n".join(path.read_text().splitlines()[:keep]) + "\n")
    result = run_cli("validate", "--input", str(mini_input))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "inputs are valid" in result.stdout


@pytest.fixture(scope="module")
def built(mini_world):
    """The mini world's published warehouse."""
    return mini_world.warehouse


def test_sql_prints_csv_and_json_for_machines(built):
    q = "SELECT deal_id, key_role_coverage, roles_engaged FROM analytics.deal_coverage ORDER BY deal_id"
    rows = list(csv.DictReader(io.StringIO(run_cli("sql", q, "--warehouse", str(built), "--format", "csv").stdout)))
    assert rows[0] == {"deal_id": "D1", "key_role_coverage": "1.0",
                       "roles_engaged": "maintenance_engineer;production_manager"}
    lines = run_cli("sql", q, "--warehouse", str(built), "--format", "json").stdout.splitlines()
    assert json.loads(lines[1]) == {"deal_id": "D11", "key_role_coverage": 0.0, "roles_engaged": []}


def test_sql_is_read_only_and_errors_are_one_line(built):
    result = run_cli("sql", "DELETE FROM core.deals", "--warehouse", str(built))
    assert result.returncode == 1 and "read-only" in result.stderr.lower() and "Traceback" not in result.stderr
    result = run_cli("sql", "SELECT * FROM nope", "--warehouse", str(built))
    assert result.returncode == 1 and "nope" in result.stderr and "Traceback" not in result.stderr


def test_sql_without_a_warehouse_says_what_to_do(tmp_path):
    result = run_cli("sql", "SELECT 1", "--warehouse", str(tmp_path / "none.duckdb"))
    assert result.returncode == 1 and "run `valuedata run` first" in result.stderr


def test_salesforce_export_runs_end_to_end_with_its_audit(tmp_path):
    warehouse = tmp_path / "valuedata.duckdb"
    result = run_cli("run", "--input", str(REPO / "tests/fixtures/exports/salesforce"), "--source", "salesforce",
                     "--warehouse", str(warehouse), "--dashboards", str(tmp_path / "dash"))
    assert result.returncode == 0, result.stderr
    # the run says where the warehouse and the dashboards are
    for written in (warehouse, tmp_path / "dash" / "index.html"):
        assert str(written.resolve()) in result.stdout
    ignored = dict(query(warehouse, "SELECT file, rows_ignored FROM audit.source_files"))
    assert ignored["Opportunity.csv"] == 1  # one IsDeleted row
    assert query(warehouse, "SELECT count(*) FROM core.deals") == [(4,)]
    assert {f for (f,) in query(warehouse, "SELECT DISTINCT _file FROM core.engagements")} == {"Task.csv", "Event.csv"}


def test_value_maps_round_trip_through_excel(tmp_path):
    xlsx = tmp_path / "maps.xlsx"
    assert run_cli("map", "export", "--xlsx", str(xlsx), "--input", str(REPO / "seeds")).returncode == 0
    (tmp_path / "back" / "maps").mkdir(parents=True)
    assert run_cli("map", "import", str(xlsx), "--input", str(tmp_path / "back")).returncode == 0
    for original in (REPO / "seeds" / "maps").glob("*.yaml"):
        again = tmp_path / "back" / "maps" / original.name
        assert yaml.safe_load(again.read_text()) == yaml.safe_load(original.read_text())


def test_coach_always_says_whether_reps_differ(built):
    [(verdict,)] = query(built, "SELECT verdict FROM analytics.rep_heterogeneity")
    [(rep_id,)] = query(built, "SELECT rep_id FROM analytics.rep_scorecard ORDER BY rep_id LIMIT 1")
    result = run_cli("coach", rep_id, "--warehouse", str(built))
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()[:2]
    assert first == f"Do reps differ? {verdict[0].upper()}{verdict[1:]}." and second == f"Coaching for {rep_id}:"
