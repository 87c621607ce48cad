"""The inbox library: complete drops are claimed whole, odd files are rejected, batches are filed with a report."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from valuedata import inbox
from valuedata.errors import ValuedataError, plain_error

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def no_quiet_period(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests look twice in a row; the quiet period has tests of its own (test_harden_inbox.py)."""
    monkeypatch.setenv("VALUEDATA_INBOX_QUIET_SECONDS", "0")


def drop(folder: Path, name: str, text: str = "deal_id\nD1\n") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_snapshot_leaves_out_dotfiles_reports_and_our_own_folders(tmp_path: Path) -> None:
    for name in ("deals.csv", "maps/a.yaml", ".DS_Store", "REPORT.txt", ".batches/b1/deals.csv",
                 "archive/r1/deals.csv", "rejected/r2/deals.csv", "maps/.hidden.yaml"):
        drop(tmp_path, name)
    assert sorted(inbox.take_snapshot(tmp_path)) == ["deals.csv", "maps/a.yaml"]


def test_first_look_waits_second_unchanged_look_claims_the_whole_drop(tmp_path: Path) -> None:
    drop(tmp_path, "deals.csv")
    drop(tmp_path, "maps/controls.yaml", "map_id: controls\n")
    first = inbox.check_inbox(tmp_path, {}, NOW)
    assert first.claimed is None and first.waiting == ("deals.csv: still changing", "maps/controls.yaml: still changing")

    second = inbox.check_inbox(tmp_path, first.snapshot, NOW)
    assert second.claimed is not None and second.claimed.parent == tmp_path / inbox.BATCHES
    assert second.claimed.name.startswith("20260302-083000-")
    assert (second.claimed / "deals.csv").read_text() == "deal_id\nD1\n"
    assert (second.claimed / "maps" / "controls.yaml").is_file()
    assert not (tmp_path / "deals.csv").exists() and second.snapshot == {}
    assert inbox.claimed_batches(tmp_path) == [second.claimed]


def test_a_file_still_growing_is_not_claimed(tmp_path: Path) -> None:
    deals = drop(tmp_path, "deals.csv")
    first = inbox.check_inbox(tmp_path, {}, NOW)
    with deals.open("a") as handle:
        handle.write("D2\n")
    second = inbox.check_inbox(tmp_path, first.snapshot, NOW)
    assert second.claimed is None and second.waiting == ("deals.csv: still changing",)
    assert inbox.check_inbox(tmp_path, second.snapshot, NOW).claimed is not None


def test_a_drop_waits_for_a_changing_partial_download_but_never_claims_it(tmp_path: Path) -> None:
    drop(tmp_path, "deals.csv")
    partial = drop(tmp_path, "engagements.csv.part", "engagement_id\n")
    first = inbox.check_inbox(tmp_path, {}, NOW)
    partial.write_text("engagement_id\nE1\n")
    assert inbox.check_inbox(tmp_path, first.snapshot, NOW).waiting == ("engagements.csv.part: still changing",)

    stale = inbox.check_inbox(tmp_path, inbox.take_snapshot(tmp_path), NOW)
    assert stale.claimed is not None and sorted(p.name for p in stale.claimed.iterdir()) == ["deals.csv"]
    assert partial.exists() and list(stale.snapshot) == ["engagements.csv.part"]


@pytest.mark.parametrize("name", ["deals.csv.tmp", "deals.csv~", "~$deals.xlsx", "x.crdownload"])
def test_temporary_files_are_recognised(name: str) -> None:
    assert inbox.is_temporary(name)


def test_nothing_but_temporary_files_claims_nothing(tmp_path: Path) -> None:
    drop(tmp_path, "deals.csv.part")
    tick = inbox.check_inbox(tmp_path, inbox.take_snapshot(tmp_path), NOW)
    assert tick.claimed is None and tick.rejected is None and tick.waiting == ()


def test_a_drop_with_an_unknown_file_is_rejected_whole_with_a_report(tmp_path: Path) -> None:
    drop(tmp_path, "deals.csv")
    drop(tmp_path, "Reps export.csv")
    drop(tmp_path, "controls.yaml")
    tick = inbox.check_inbox(tmp_path, inbox.take_snapshot(tmp_path), NOW)
    assert tick.claimed is None and tick.rejected is not None
    assert tick.rejected.parent == tmp_path / inbox.REJECTED
    assert sorted(p.name for p in tick.rejected.iterdir()) == ["REPORT.txt", "Reps export.csv", "controls.yaml",
                                                               "deals.csv"]
    report = (tick.rejected / "REPORT.txt").read_text()
    assert "Reps export.csv: valuedata does not know this file name" in report
    assert "controls.yaml: a value map belongs in the maps/ folder" in report
    assert "NOT loaded" in report and str(tmp_path.resolve()) in report
    assert inbox.claimed_batches(tmp_path) == []


def test_a_rejected_folder_is_never_picked_up_again(tmp_path: Path) -> None:
    drop(tmp_path, "notes.txt")
    inbox.check_inbox(tmp_path, inbox.take_snapshot(tmp_path), NOW)
    assert inbox.take_snapshot(tmp_path) == {}


@pytest.mark.parametrize("name,expected", [
    ("deals.csv", True), ("engagements.parquet", True), ("maps/a.yml", True), ("maps/a.json", True),
    ("Deals.csv", False), ("deals.xlsx", False), ("maps/sub/a.yaml", False), ("exports/deals.csv", False)])
def test_expected_file_names(name: str, expected: bool) -> None:
    assert (inbox.unexpected_reason(name) is None) is expected


def test_cursor_round_trips() -> None:
    cursor = inbox.InboxCursor({"deals.csv": (12, 34)}, ("b1",))
    assert inbox.InboxCursor.from_json(cursor.to_json()) == cursor
    assert inbox.InboxCursor.from_json(None) == inbox.InboxCursor()


def claimed(tmp_path: Path, batch_id: str = "20260302-083000-abcdef12") -> Path:
    batch = tmp_path / inbox.BATCHES / batch_id
    drop(batch, "deals.csv")
    return batch


def test_batch_folder_accepts_only_waiting_inbox_batches(tmp_path: Path) -> None:
    batch = claimed(tmp_path)
    assert inbox.batch_folder(str(batch), batch.name) == batch
    assert inbox.batch_folder(str(batch), "another-batch") is None
    assert inbox.batch_folder(str(tmp_path), tmp_path.name) is None
    assert inbox.batch_folder("", batch.name) is None
    assert inbox.batch_folder(str(tmp_path / inbox.BATCHES / "gone"), "gone") is None


def test_archive_moves_the_batch_with_a_report(tmp_path: Path) -> None:
    batch = claimed(tmp_path)
    folder = inbox.archive_batch(batch, "run-1", ["  deals.csv: 3 rows read, 2 loaded, 1 set aside"], NOW)
    assert folder == tmp_path / inbox.ARCHIVE / "run-1" and not batch.exists()
    assert (folder / "deals.csv").is_file()
    assert "deals.csv: 3 rows read, 2 loaded, 1 set aside" in (folder / "REPORT.txt").read_text()


def test_reject_moves_the_batch_with_what_failed_and_how_to_resubmit(tmp_path: Path) -> None:
    batch = claimed(tmp_path)
    problem = f"{batch}/deals.csv: header (line 1): required column(s) missing: created_at — fix: add the column"
    folder = inbox.reject_batch(batch, "run-2", [problem], NOW)
    assert folder == tmp_path / inbox.REJECTED / "run-2" and (folder / "deals.csv").is_file()
    report = (folder / "REPORT.txt").read_text()
    assert "  - deals.csv: header (line 1): required column(s) missing: created_at" in report
    assert "Nothing in the warehouse changed" in report and "How to resubmit" in report
    assert str(tmp_path.resolve()) in report and "run-2" in report


def test_filing_never_overwrites(tmp_path: Path) -> None:
    batch = claimed(tmp_path)
    drop(tmp_path / inbox.ARCHIVE / "run-1", "deals.csv", "older")
    with pytest.raises(ValuedataError, match="already exists"):
        inbox.archive_batch(batch, "run-1", [], NOW)
    assert (batch / "deals.csv").is_file()


def test_plain_error_prefers_our_message_over_the_wrapper() -> None:
    chain = ['dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "x":\n',
             "valuedata.errors.InputError: deals.csv: line 3: bad date — fix: use YYYY-MM-DD\n"]
    assert plain_error(chain) == "deals.csv: line 3: bad date — fix: use YYYY-MM-DD"
    assert plain_error(["dagster.Wrapper: outer", "duckdb.duckdb.IOException: IO Error: disk full"]) == \
        "IO Error: disk full"
    assert plain_error([]) == ""


def test_load_summary_says_where_to_look_when_the_warehouse_is_missing(tmp_path: Path) -> None:
    lines = inbox.load_summary(tmp_path / "missing.duckdb", "run-1", "b1")
    assert len(lines) == 1 and "audit.loads" in lines[0]
