"""Freshness library: ages of the inputs and of the published warehouse, and the audit.freshness row."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from valuedata import freshness

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def conn():
    """A warehouse-shaped in-memory database with one deal, one engagement and one file load."""
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA core; CREATE SCHEMA raw; CREATE SCHEMA audit")
        conn.execute("CREATE TABLE core.deals AS SELECT DATE '2026-02-20' AS created_at")
        conn.execute("CREATE TABLE core.engagements AS SELECT TIMESTAMP '2026-02-27 09:00' AS occurred_at")
        conn.execute("CREATE TABLE raw.loads AS SELECT TIMESTAMP '2026-02-28 12:00' AS loaded_at")
        conn.execute("SET VARIABLE run_id = 'run-1'")
        yield conn


def test_input_age_is_that_of_the_newest_input(conn) -> None:
    inputs = freshness.measure_inputs(conn, NOW, 48)
    assert inputs.newest_deal_created_at == datetime(2026, 2, 20, tzinfo=timezone.utc)
    assert inputs.newest_engagement_at == datetime(2026, 2, 27, 9, tzinfo=timezone.utc)
    assert inputs.age.newest_at == datetime(2026, 2, 28, 12, tzinfo=timezone.utc)
    assert inputs.age.hours == 48.0 and inputs.age.fresh
    assert not freshness.measure_inputs(conn, NOW + timedelta(minutes=6), 48).age.fresh


def test_no_inputs_is_not_fresh(conn) -> None:
    conn.execute("DELETE FROM core.deals; DELETE FROM core.engagements; DELETE FROM raw.loads")
    age = freshness.measure_inputs(conn, NOW, 48).age
    assert age.hours is None and not age.fresh and "does not exist yet" in age.message


def test_freshness_table_is_one_row_for_the_dashboards(conn) -> None:
    freshness.build_freshness_table(conn, NOW, 24)
    row = conn.execute("SELECT run_id, newest_input_at, published_at, input_age_hours, inputs_fresh "
                       "FROM audit.freshness").fetchall()
    assert row == [("run-1", datetime(2026, 2, 28, 12), datetime(2026, 3, 2, 12), 48.0, False)]


def test_warehouse_age_is_the_published_file_age(tmp_path: Path) -> None:
    warehouse = tmp_path / "v.duckdb"
    assert not freshness.warehouse_age(warehouse, NOW, 30).fresh
    warehouse.write_bytes(b"")
    published = NOW - timedelta(hours=31)
    os.utime(warehouse, (published.timestamp(), published.timestamp()))
    age = freshness.warehouse_age(warehouse, NOW, 30)
    assert age.hours == 31.0 and not age.fresh
    assert "31 hours old" in age.message and "older than the 30-hour limit" in age.message
