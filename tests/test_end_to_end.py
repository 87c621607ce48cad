"""The whole pipeline end to end on the shipped seeds (with markup in a few texts); the ingest on a generated
world it has never seen."""

import csv
from pathlib import Path

from conftest import REPO, ingest, query
from dashboard_worlds import seeds  # noqa: F401 - session fixture: the seeds through the real pipeline
from valuedata.generate import generate


def truth_bad_rows(folder: Path) -> set[tuple]:
    with open(folder / "_truth" / "bad_rows.csv") as handle:
        return {(row["file"], int(row["line"]), row["rule"]) for row in csv.DictReader(handle)}


def quarantined(warehouse: Path) -> set[tuple]:
    return {(Path(f).name, line, rule) for f, line, rule in query(warehouse, "SELECT file, line, rule FROM audit.quarantine")}


def test_seeds_run_end_to_end(seeds):
    warehouse = seeds.warehouse
    assert quarantined(warehouse) == truth_bad_rows(REPO / "seeds")
    assert len(truth_bad_rows(REPO / "seeds")) == 20  # every rule at least once
    assert query(warehouse, "SELECT count(*) FROM analytics.deal_coverage") == [(4000,)]
    assert query(warehouse, "SELECT bool_and(reconciled) FROM audit.loads") == [(True,)]
    dashboards = seeds.dashboards
    index = (dashboards / "playbooks.html").read_text()
    for segment in ("discrete-manufacturing", "food-processing"):
        assert f'href="playbook-{segment}.html"' in index
        assert "Who to meet" in (dashboards / f"playbook-{segment}.html").read_text()


def test_an_unseen_world_with_bad_rows_loads_exactly_the_good_ones(tmp_path):
    data = tmp_path / "world"
    generate(data, deals=800, seed=2027, bad_rows=40)
    warehouse = ingest(data, tmp_path / "valuedata.duckdb")
    assert quarantined(warehouse) == truth_bad_rows(data)
    truth = {row["deal_id"] for row in csv.DictReader(open(data / "_truth" / "deal_truth.csv"))}
    assert {d for (d,) in query(warehouse, "SELECT deal_id FROM core.deals")} == truth
    rows = query(warehouse, "SELECT rows_read, rows_loaded, rows_quarantined FROM audit.loads")
    assert all(r == l + q for r, l, q in rows)
