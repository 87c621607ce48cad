"""The ingest through a real Dagster materialisation into a real DuckDB file: one check per rule."""

import shutil
from pathlib import Path

import pytest

from conftest import DATA, query
from pipelines.run import run_pipeline
from valuedata.config import Settings

# (file, line, rule, id) of every bad row in tests/data/mini; header = line 1.
EXPECTED_QUARANTINE = {
    ("reps.csv", 4, "bad_date", "r3"),
    ("reps.csv", 5, "duplicate", "r2"),
    ("deals.csv", 6, "unknown_rep", "D5"),
    ("deals.csv", 7, "bad_amount", "D6"),
    ("deals.csv", 8, "bad_date", "D7"),
    ("deals.csv", 9, "closed_before_created", "D8"),
    ("deals.csv", 10, "bad_outcome", "D9"),
    ("deals.csv", 11, "missing_required", "D10"),
    ("deals.csv", 13, "duplicate", "D11"),
    ("deals.csv", 14, "conflicting_duplicate", "D12"),
    ("deals.csv", 15, "conflicting_duplicate", "D12"),
    ("deals.csv", 16, "bad_amount", "D13"),
    ("deals.csv", 17, "unknown_rep", "D14"),
    ("deals.csv", 18, "bad_currency", "D15"),
    ("deals.csv", 19, "open_with_closed_at", "D16"),
    ("engagements.csv", 8, "unknown_deal", "E7"),
    ("engagements.csv", 9, "unknown_role", "E8"),
    ("engagements.csv", 10, "unknown_map_id", "E9"),
    ("engagements.csv", 11, "bad_date", "E10"),
    ("engagements.csv", 12, "bad_channel", "E11"),
    ("engagements.csv", 14, "duplicate", "E12"),
    ("engagements.csv", 15, "conflicting_duplicate", "E13"),
    ("engagements.csv", 16, "conflicting_duplicate", "E13"),
    ("engagements.csv", 17, "missing_required", "E14"),
    ("engagements.csv", 18, "unknown_deal", "E15"),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ingest")
    shutil.copytree(DATA / "mini", root / "input")
    settings = Settings.resolve(root / "input", root / "wh" / "valuedata.duckdb", root / "dash")
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.failure
    return settings.warehouse


def quarantined(warehouse: Path) -> set[tuple]:
    rows = query(warehouse, "SELECT file, line, rule, record_id FROM audit.quarantine")
    return {(Path(f).name, line, rule, rid) for f, line, rule, rid in rows}


@pytest.mark.parametrize("row", sorted(EXPECTED_QUARANTINE), ids=lambda r: f"{r[0]}:{r[1]}:{r[2]}")
def test_each_bad_row_is_quarantined_under_its_rule(warehouse, row):
    assert row in quarantined(warehouse)


def test_nothing_else_is_quarantined(warehouse):
    assert quarantined(warehouse) == EXPECTED_QUARANTINE


def test_quarantine_keeps_the_raw_row_and_a_fix(warehouse):
    raw, detail = query(warehouse, "SELECT raw, detail FROM audit.quarantine WHERE record_id = 'D6'")[0]
    assert '"amount":"abc"' in raw and '"deal_id":"D6"' in raw
    assert "amount 'abc' is not a number" in detail


def test_every_file_reconciles(warehouse):
    rows = query(warehouse, "SELECT file, rows_read, rows_loaded, rows_quarantined FROM audit.loads ORDER BY file")
    counts = {Path(f).name: (r, l, q) for f, r, l, q in rows}
    assert counts == {"deals.csv": (18, 5, 13), "engagements.csv": (17, 7, 10), "reps.csv": (4, 2, 2)}
    assert all(r == l + q for r, l, q in counts.values())


def test_outcomes_currency_and_segment_are_normalised(warehouse):
    rows = dict((d, (o, c, s)) for d, o, c, s in
                query(warehouse, "SELECT deal_id, outcome, currency, segment FROM core.deals"))
    assert rows["D1"] == ("won", "USD", "manufacturing")  # "Closed Won"
    assert rows["D2"] == ("lost", "EUR", "manufacturing")  # "eur", "Manufacturing"
    assert rows["D4"][0] == "won"  # "closedwon"
    assert rows["D3"][0] == "open"


def test_extra_deal_columns_are_typed_attributes(warehouse):
    assert query(warehouse, "SELECT name, data_type FROM core.deal_attributes ORDER BY name") == [
        ("lead_source", "VARCHAR"), ("seats", "DOUBLE")]
    assert query(warehouse, "SELECT lead_source, seats FROM core.deals WHERE deal_id = 'D2'") == [("outbound", 20.0)]


def test_titles_map_to_roles_longest_pattern_first_and_role_id_wins(warehouse):
    roles = dict(query(warehouse, "SELECT engagement_id, role_id FROM core.engagements"))
    assert roles["E1"] == "production_manager"          # "Production Manager"
    assert roles["E2"] == "maintenance_engineer"        # "Senior Maintenance Manager": "maintenance manager" beats "manager"
    assert roles["E5"] == "production_manager"          # "PLANT MANAGER", case-insensitive
    assert roles["E4"] == "maintenance_engineer"        # role_id given, no title
    assert roles["E3"] is None                          # "Purchasing Agent" matches nothing


def test_unmapped_titles_are_counted(warehouse):
    assert query(warehouse, "SELECT title, engagements FROM audit.unmapped_titles ORDER BY title") == [
        ("Purchasing Agent", 1), ("Store Manager", 1)]


def test_deal_coverage_lists_and_counts(warehouse):
    rows = {r[0]: r[1:] for r in query(warehouse, """
        SELECT deal_id, map_id, roles_engaged, key_roles_total, key_role_coverage, value_propositions_presented,
               issues_uncovered, questions_asked, engagements FROM analytics.deal_coverage""")}
    assert rows["D1"] == ("mini-controls", ["maintenance_engineer", "production_manager"], 2, 1.0,
                          ["vp_spares", "vp_yield"], ["downtime", "spares"], ["q_cost"], 3)
    assert rows["D2"] == ("mini-controls", ["maintenance_engineer"], 2, 0.5, ["vp_spares"], [], ["q_spares"], 2)
    assert rows["D11"] == ("mini-controls", [], 2, 0.0, [], [], [], 0)
    # a segment with no map still loads: no map, no coverage
    assert rows["D4"] == (None, [], 0, None, [], [], [], 1)
    assert query(warehouse, "SELECT typeof(value_propositions_presented) FROM analytics.deal_coverage LIMIT 1") == [
        ("VARCHAR[]",)]


def test_staging_is_not_published(warehouse):
    schemas = {s for (s,) in query(warehouse, "SELECT DISTINCT schema_name FROM duckdb_schemas()")}
    assert {"raw", "core", "analytics", "audit"} <= schemas and "staging" not in schemas
