"""Smaller items of issue #14 item 7 and #12 item 9: implausible dates, case-sensitive ids, attribute counts,
validate's folder and exit codes, a 10,000-role map."""

import shutil
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, ingest, query, run_cli
from valuedata.maps import load_maps, map_frames

DEAL = "{id},A{n},Acme,manufacturing,r1,100,USD,{created},{closed},{outcome},inbound,{seats}"


def append(path: Path, *lines: str) -> None:
    with open(path, "a") as handle:
        handle.write("".join(line + "\n" for line in lines))


def test_placeholder_dates_are_quarantined_as_implausible(mini_input, tmp_path):
    append(mini_input / "deals.csv",
           DEAL.format(id="D60", n=60, created="2025-01-01", closed="9999-12-31", outcome="won", seats=1),
           DEAL.format(id="D61", n=61, created="0001-01-01", closed="", outcome="open", seats=1),
           DEAL.format(id="D62", n=62, created="1900-01-01", closed="2100-12-31", outcome="won", seats=1))
    append(mini_input / "engagements.csv", "E60,D1,1899-12-31,,,,meeting,,,,")
    db = ingest(mini_input, tmp_path / "w.duckdb")
    rows = query(db, "SELECT record_id, line, detail FROM audit.quarantine WHERE rule = 'implausible_date' "
                     "ORDER BY record_id")
    assert [r[:2] for r in rows] == [("D60", 20), ("D61", 21), ("E60", 19)]
    assert "closed_at '9999-12-31' is outside 1900-01-01 to 2100-12-31" in rows[0][2]
    assert "created_at '0001-01-01'" in rows[1][2] and "occurred_at '1899-12-31'" in rows[2][2]
    assert query(db, "SELECT created_at::VARCHAR, closed_at::VARCHAR FROM core.deals WHERE deal_id = 'D62'") == \
        [("1900-01-01", "2100-12-31")]  # the edges of the range are real dates


def test_ids_are_case_sensitive_and_trimmed(mini_input, tmp_path):
    append(mini_input / "deals.csv",
           DEAL.format(id="d1", n=70, created="2025-01-01", closed="", outcome="open", seats=1),
           DEAL.format(id=" D70 ", n=71, created="2025-01-01", closed="", outcome="open", seats=1))
    db = ingest(mini_input, tmp_path / "w.duckdb")
    ids = {i for (i,) in query(db, "SELECT deal_id FROM core.deals")}
    assert {"D1", "d1", "D70"} <= ids  # d1 is another deal than D1; spaces around an id are dropped


def test_deals_with_value_counts_loaded_deals_only(mini_input, tmp_path):
    db = ingest(mini_input, tmp_path / "w.duckdb")
    counts = dict(query(db, "SELECT name, deals_with_value FROM core.deal_attributes"))
    loaded = dict(query(db, "SELECT 'seats', count(seats) FROM core.deals UNION ALL "
                            "SELECT 'lead_source', count(lead_source) FROM core.deals"))
    assert counts == loaded and counts["seats"] == 4  # 17 rows of deals.csv have seats; 4 of them loaded


def test_validate_names_the_users_folder_not_a_scratch_copy(tmp_path):
    shutil.copytree(REPO / "tests/fixtures/exports/salesforce", tmp_path / "export")
    for path in (tmp_path / "export" / "maps").iterdir():
        path.unlink()
    result = run_cli("validate", "--input", str(tmp_path / "export"), "--source", "salesforce")
    assert result.returncode == 1
    assert f"{tmp_path / 'export' / 'maps'}: folder: no value maps" in result.stdout
    assert "valuedata-input-" not in result.stdout + result.stderr


def test_validate_documents_its_exit_codes():
    text = " ".join(run_cli("validate", "--help").stdout.split())
    assert "Exit codes: 0 the inputs are valid" in text and "1 a problem was found" in text


@pytest.mark.slow  # fast sibling: test_maps.py::test_valid_map_flattens_into_items_roles_and_links
def test_a_map_with_ten_thousand_roles_loads_in_seconds(tmp_path):
    roles = [{"role_id": f"r{i}", "title": f"Role {i}", "title_patterns": [f"role {i}"],
              "issues": [{"id": f"i{i}", "text": "An issue", "priority": 1}],
              "value_propositions": [{"id": f"vp{i}", "statement": "We help", "addresses": [f"i{i}"]}],
              "questions": [{"id": f"q{i}", "text": "Why?", "uncovers": [f"i{i}"]}]} for i in range(10_000)]
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "big.yaml").write_text(yaml.safe_dump({"map_id": "big", "name": "Big", "segment": "x",
                                                                "roles": roles}))
    started = time.process_time()
    frames = map_frames(load_maps(tmp_path / "maps"))
    assert time.process_time() - started < 10  # about 17 s of CPU with the pure-Python YAML parser
    assert frames["value_map_roles"].height == 10_000 and frames["value_map_links"].height == 20_000
