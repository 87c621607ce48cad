"""Malformed CSV rows are quarantined at their physical line and the rest loads (issue #14 items 2 and 7)."""

import shutil
from pathlib import Path

import pytest

from conftest import REPO, ingest, query, run_cli
from dashboard_worlds import seeds  # noqa: F401 - session fixture: the seeds through the real pipeline
from pipelines.run import run_pipeline
from valuedata.config import Settings

GOOD = "D{n},A{n},Acme,manufacturing,r1,100,USD,2025-02-01,2025-02-20,won,inbound,1"


def edit_deals(mini_input: Path, lines: dict[int, str], end: str = "\n") -> None:
    """Insert lines into deals.csv before the given (1-based) physical line numbers of the original."""
    original = (mini_input / "deals.csv").read_text().splitlines()
    out = []
    for number, line in enumerate(original, start=1):
        if number in lines:
            out.append(lines[number])
        out.append(line)
    out += [lines[k] for k in sorted(lines) if k > len(original)]
    (mini_input / "deals.csv").write_text("\n".join(out) + end)


def quarantined(db: Path, rule: str | None = None) -> list[tuple]:
    where = f"WHERE rule = '{rule}'" if rule else ""
    return query(db, f"SELECT line, rule, record_id, detail FROM audit.quarantine {where} ORDER BY line")


def reconciled(db: Path) -> tuple:
    return query(db, "SELECT rows_read, rows_loaded, rows_quarantined, reconciled FROM audit.loads "
                     "WHERE table_name = 'deals'")[0]


@pytest.mark.parametrize("bad, why", [
    ("D50,A50,Acme,manufacturing", "has 4 field(s) but the header has 12"),
    (GOOD.format(n=51) + ",extra,fields", "has 14 field(s) but the header has 12"),
])
def test_a_short_or_long_row_is_quarantined_at_its_line_and_the_rest_loads(mini_input, tmp_path, bad, why):
    edit_deals(mini_input, {3: bad})
    db = ingest(mini_input, tmp_path / "w.duckdb")
    line, rule, record_id, detail = quarantined(db, "malformed_row")[0]
    assert (line, rule, record_id) == (3, "malformed_row", None) and why in detail
    assert (8, "bad_amount", "D6") in [q[:3] for q in quarantined(db)]  # later lines shift by the inserted one
    assert query(db, "SELECT count(*) FROM core.deals")[0][0] == 5
    assert reconciled(db) == (19, 5, 14, True)
    assert query(db, "SELECT raw FROM audit.quarantine WHERE rule = 'malformed_row'")[0][0] == f'"{bad}"'


def test_a_cut_off_last_row_with_an_open_quote_is_quarantined(mini_input, tmp_path):
    edit_deals(mini_input, {20: 'D52,A52,"Acme Ind'}, end="")
    db = ingest(mini_input, tmp_path / "w.duckdb")
    assert [q[:3] for q in quarantined(db, "malformed_row")] == [(20, "malformed_row", None)]
    assert "quoted value is not closed" in quarantined(db, "malformed_row")[0][3]
    assert reconciled(db) == (19, 5, 14, True)


def test_an_open_quote_mid_file_is_one_malformed_row_that_says_how_far_it_ran(mini_input, tmp_path):
    edit_deals(mini_input, {18: 'D53,A53,"Acme"x,manufacturing,r1,100,USD,2025-02-01,,open,inbound,1'})
    db = ingest(mini_input, tmp_path / "w.duckdb")
    assert [q[:2] for q in quarantined(db, "malformed_row")] == [(18, "malformed_row")]
    assert (20, "open_with_closed_at", "D16") in [q[:3] for q in quarantined(db)]


def test_a_quote_that_never_closes_sets_aside_its_line_only_and_the_rest_loads(mini_input, tmp_path):
    edit_deals(mini_input, {5: 'D54,A54,"Acme,manufacturing,r1,100,USD,2025-02-01,,open,inbound,1'})
    db = ingest(mini_input, tmp_path / "w.duckdb")
    [(line, rule, record_id, detail)] = quarantined(db, "malformed_row")
    assert (line, record_id) == (5, None) and "opens on line 5 and never closes" in detail
    assert (8, "bad_amount", "D6") in [q[:3] for q in quarantined(db)]
    assert query(db, "SELECT _line FROM core.deals WHERE deal_id = 'D16'") == [] and \
        (20, "open_with_closed_at", "D16") in [q[:3] for q in quarantined(db)]
    assert query(db, "SELECT deal_id, _line FROM core.deals WHERE deal_id IN ('D1', 'D4') ORDER BY 1") == \
        [("D1", 2), ("D4", 6)]
    assert reconciled(db) == (19, 5, 14, True)


def test_lines_are_physical_after_values_spanning_lines_and_blank_lines(mini_input, tmp_path):
    text = (mini_input / "deals.csv").read_text().replace("D1,A1,Acme,", 'D1,A1,"Acme\nIndustries\nInc",', 1)
    (mini_input / "deals.csv").write_text(text.replace("\nD9,", "\n\nD9,", 1))
    db = ingest(mini_input, tmp_path / "w.duckdb")
    rules = {q[2]: q[0] for q in quarantined(db)}
    assert rules["D6"] == 9 and rules["D8"] == 11 and rules["D9"] == 13 and rules["D16"] == 22
    assert query(db, "SELECT _line, account_name FROM core.deals WHERE deal_id = 'D1'") == [(2, "Acme\nIndustries\nInc")]
    assert query(db, "SELECT _line FROM core.deals WHERE deal_id = 'D2'") == [(5,)]


def test_a_header_only_file_gets_its_audit_loads_row(mini_input, tmp_path):
    engagements = mini_input / "engagements.csv"
    engagements.write_text(engagements.read_text().splitlines()[0] + "\n")
    db = ingest(mini_input, tmp_path / "w.duckdb")
    assert query(db, "SELECT rows_read, rows_loaded, rows_quarantined, reconciled FROM audit.loads "
                     "WHERE table_name = 'engagements'") == [(0, 0, 0, True)]


@pytest.mark.parametrize("spoil, why", [
    (lambda line: line.rsplit(",", 3)[0], "the row has 9 field(s) but the header has 12"),
    (lambda line: line.replace(",", ',"', 1), "a quoted value opens on line {line} and never closes"),
])
def test_a_seeds_copy_with_one_malformed_row_loads_every_other_row(seeds, tmp_path, spoil, why):
    shutil.copytree(REPO / "seeds", tmp_path / "input", ignore=shutil.ignore_patterns("_truth"))
    deals = tmp_path / "input" / "deals.csv"
    lines = deals.read_text().splitlines()
    index = next(i for i in range(1000, len(lines)) if '"' not in lines[i])  # the next quote is some lines on
    lines[index] = spoil(lines[index])
    deals.write_text("\n".join(lines) + "\n")
    db = ingest(tmp_path / "input", tmp_path / "valuedata.duckdb")
    read, loaded, held, ok = reconciled(db)
    was = query(seeds.warehouse, "SELECT rows_loaded, rows_quarantined FROM audit.loads WHERE table_name = 'deals'")[0]
    assert ok and read == loaded + held and (loaded, held) == (was[0] - 1, was[1] + 1)
    assert query(db, "SELECT line FROM audit.quarantine WHERE rule = 'malformed_row'") == [(index + 1,)]
    loaded_lines = query(db, "SELECT deal_id, _line FROM core.deals")
    assert all(lines[line - 1].startswith(f"{deal_id},") for deal_id, line in loaded_lines)  # each line is its row
    result = run_cli("validate", "--input", str(tmp_path / "input"))
    assert f"deals.csv:{index + 1}: malformed_row: {why.format(line=index + 1)}" in result.stdout


def test_a_run_with_a_malformed_row_publishes_the_rest(mini_input, tmp_path):
    edit_deals(mini_input, {3: "D50,A50,Acme,manufacturing"})
    settings = Settings.resolve(mini_input, tmp_path / "valuedata.duckdb", tmp_path / "dash")
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.failure
    assert reconciled(settings.warehouse) == (19, 5, 14, True)
    assert query(settings.warehouse, "SELECT line FROM audit.quarantine WHERE rule = 'malformed_row'") == [(3,)]
    assert (tmp_path / "dash" / "index.html").is_file()
