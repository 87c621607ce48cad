"""`valuedata sql` reads the warehouse only: one query per call, no other file, no settings (issue #14 item 1)."""

import json

import duckdb
import pytest

from conftest import run_cli


@pytest.fixture(scope="module")
def built(mini_world):
    return mini_world.warehouse


def sql(warehouse, query):
    return run_cli("sql", query, "--warehouse", str(warehouse), "--format", "json")


def refused(result, *words):
    text = result.stderr.replace("\n", " ")
    assert result.returncode == 1 and "refused" in text and "Traceback" not in text, text
    for word in words:
        assert word in text, text


def test_copy_writes_no_file(built, tmp_path):
    target = tmp_path / "index.html"
    target.write_text("the dashboard")
    refused(sql(built, f"COPY (SELECT '<script>' AS x) TO '{target}' (FORMAT csv)"), "COPY")
    assert target.read_text() == "the dashboard"


def test_attach_cannot_change_another_database(built, tmp_path):
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")
    refused(sql(built, f"ATTACH '{other}' AS o (READ_WRITE)"), "ATTACH")
    refused(sql(built, f"SELECT * FROM '{other}'"), "outside the warehouse")
    with duckdb.connect(str(other), read_only=True) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]


@pytest.mark.parametrize("query", ["SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM glob('/etc/*')",
                                   "FROM read_text('/etc/hostname')"])
def test_other_files_cannot_be_read(built, query):
    result = sql(built, query)
    refused(result, "outside the warehouse")
    assert "root:" not in result.stdout


@pytest.mark.parametrize("query, word", [("INSTALL httpfs", "INSTALL"), ("LOAD httpfs", "LOAD"),
                                         ("CREATE TEMP TABLE t AS SELECT 1", "CREATE")])
def test_extensions_and_writes_are_refused_by_name(built, query, word):
    refused(sql(built, query), f"{word} statements are not allowed", "is read-only")


@pytest.mark.parametrize("query", ["SET threads = 1", "RESET lock_configuration", "PRAGMA threads = 1",
                                   "SET enable_external_access = true"])
def test_settings_are_refused(built, query):
    refused(sql(built, query), "settings cannot be changed", query.split()[0])


def test_one_statement_per_call(built, tmp_path):
    result = sql(built, f"SELECT 1; COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    refused(result, "exactly one statement", "this has 2 (SELECT, COPY)")
    assert result.stdout == "" and not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("query, expected", [
    ("WITH won AS (SELECT * FROM core.deals WHERE outcome = 'won') SELECT count(*) AS n FROM won", {"n": 3}),
    ("SUMMARIZE SELECT amount FROM core.deals", {"column_name": "amount"}),
    ("DESCRIBE core.reps", {"column_name": "rep_id"}),
    ("SELECT count(*) AS n FROM valuedata.analytics.deal_coverage", {"n": 5}),
])
def test_any_query_still_works(built, query, expected):
    result = sql(built, query)
    assert result.returncode == 0, result.stderr
    first = json.loads(result.stdout.splitlines()[0])
    assert {k: first[k] for k in expected} == expected
