"""Dashboards stay small at 1M deals: aggregation happens in SQL and every page is capped."""

from __future__ import annotations

import dashboard_fixtures as fx
import duckdb

from valuedata.dashboards import build_dashboards


def test_whole_set_under_6_mb_at_1m_deals(tmp_path):
    wh = fx.make_big_warehouse(tmp_path / "big.duckdb")
    with duckdb.connect(str(wh), read_only=True) as conn:
        report = build_dashboards(conn, tmp_path / "out", png=False)
    assert report.total_bytes <= 6_000_000, report.summary()
    assert all(size <= 400_000 for size in report.pages.values()), report.pages
    assert not report.notes
