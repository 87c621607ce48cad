"""Reading export CSVs: encodings, delimiters, and the physical line of every record."""

from __future__ import annotations

from pathlib import Path

import pytest

from valuedata.errors import InputError
from valuedata.sources import PreparedInput, prepare_input
from valuedata.sources.csvread import read_export


def _read(tmp_path: Path, data: bytes, **options):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    return read_export(path, "export.csv", **options)


def test_lines_count_multiline_fields_and_skip_blank_lines(tmp_path: Path) -> None:
    data = b'Id,Notes\r\n1,"first\r\nsecond"\r\n2,plain\r\n\r\n3,"a\nb\nc"\r\n4,last\r\n'
    export, problems = _read(tmp_path, data)
    assert not problems
    assert export.frame.select("id", "_source_line").rows() == [("1", "2"), ("2", "4"), ("3", "6"), ("4", "9")]
    assert export.frame["_source_file"].unique().to_list() == ["export.csv"]


def test_bom_mixed_case_headers_and_semicolons(tmp_path: Path) -> None:
    data = "\ufeffOpportunity ID;Close Value\n X1 ;\"1.054,00\"\n".encode("utf-8")
    export, _ = _read(tmp_path, data, delimiter="auto")
    assert export.frame.columns[:2] == ["opportunity id", "close value"]
    assert export.frame.row(0)[:2] == ("X1", "1.054,00")   # values trimmed
    assert export.has("OPPORTUNITY ID") and export.missing(["Amount"]) == ["Amount"]


def test_encodings(tmp_path: Path) -> None:
    utf16, _ = _read(tmp_path, "Name,Title\nJosé,Jefe de planta\n".encode("utf-16"))
    assert (utf16.encoding, utf16.frame.row(0)[0]) == ("utf-16", "José")
    guessed, _ = _read(tmp_path, "Name\nJürgen\n".encode("latin-1"))
    assert (guessed.frame.row(0)[0], guessed.guessed) == ("Jürgen", True)
    _, problems = _read(tmp_path, "Name\nok\nJürgen\n".encode("latin-1"), encoding="utf-8")
    assert problems[0].where == "line 3" and "not valid utf-8" in problems[0].problem


def test_unreadable_files_are_problems(tmp_path: Path) -> None:
    assert _read(tmp_path, b"")[1][0].problem == "is empty"
    ragged = _read(tmp_path, b"a,b\n1,2,3,4\n")[1]
    assert ragged and "not a readable CSV" in ragged[0].problem


def test_native_source_is_passed_through(tmp_path: Path) -> None:
    prepared = prepare_input(tmp_path, "native", tmp_path / "work")
    assert isinstance(prepared, PreparedInput) and prepared.dir == tmp_path
    assert prepared.source_audit.columns == ["file", "sha256", "rows_read", "rows_converted", "rows_ignored",
                                             "ignored_reason"]
    assert prepared.notes == [] and not (tmp_path / "work").exists()


def test_missing_input_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        prepare_input(tmp_path / "nope", "salesforce", tmp_path / "work")


def test_duplicate_headers_ignoring_case(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, b"Id,Name,NAME\n1,a,b\n")
    assert "appear twice (ignoring case): name" in problems[0].problem
