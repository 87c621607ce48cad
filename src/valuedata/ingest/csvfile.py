"""Read a CSV export into a raw table as text, setting malformed rows aside at their physical line.

DuckDB reads the file with the columns of its header and no guessing (`auto_detect = false`), so one
bad row cannot make the sniffer misread the whole file; rows it cannot split into those columns (too
few or too many fields, a quote not closed properly) land in its reject table with their byte
position, which gives their physical line. A quote that opens and never closes would swallow the rest
of the file as one value: then only its own line is set aside and the lines after it are read again,
on their own, from a copy of the rest of the file.

The rows themselves carry no position. When every row is one line and nothing was skipped (the usual
case) a row's line is its position plus 2; otherwise the lines are found with Python's csv module,
which splits records the same way, and stored in a `_source_line` column.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from valuedata.errors import InputError, Problem
from valuedata.warehouse.sql import quote_literal

LINEAGE_LINE = "_source_line"
DELIMITERS = (",", ";", "\t", "|")
_LINE_END = re.compile(rb"(?<=\n)")


@dataclass(frozen=True)
class Malformed:
    """A CSV row that could not be split into the header's columns: its first physical line, why, its text."""

    line: int
    detail: str
    text: str
    runaway: bool = False  # a quote that never closes: the rest of the file was read as this one row


@dataclass(frozen=True)
class Segment:
    """A file read in one go: the CSV itself, or a copy of its header and some of its lines.
    A line of the segment is line `line + offset` of the CSV."""

    path: Path
    offset: int = 0


@dataclass
class CsvRead:
    """What reading a CSV set aside, and the segments it was read in (in order)."""

    malformed: list[Malformed] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)


def read_csv(conn: duckdb.DuckDBPyConnection, target: str, path: Path, seq: int, scratch: Path) -> CsvRead:
    """Read the CSV at `path` into the table `target` (all text), splitting it where a quote never closes."""
    header, delimiter = csv_header(path)
    read, pending, created = CsvRead(), [Segment(path)], False
    while pending:
        segment = pending.pop(0)
        part = target if not created else f"{target}_part"
        found = _read_segment(conn, part, segment, header, delimiter, f"rejects_{seq}")
        runaway = next((m for m in found if m.runaway), None)
        if runaway is not None:
            conn.execute(f"DROP TABLE {part}")
            first_line = runaway.text.split("\n", 1)[0]
            read.malformed.append(Malformed(runaway.line, runaway.detail, first_line))
            pending[:0] = _split(segment, runaway.line, scratch)
            continue
        read.malformed += found
        read.segments.append(segment)
        if part != target:
            conn.execute(f"INSERT INTO {target} SELECT * FROM {part}; DROP TABLE {part}")
        created = True
    if not created:  # every line was set aside
        _read_segment(conn, target, Segment(_header_only(path, scratch)), header, delimiter, f"rejects_{seq}")
    read.malformed.sort(key=lambda m: m.line)
    return read


def _read_segment(conn: duckdb.DuckDBPyConnection, table: str, segment: Segment, header: list[str], delimiter: str,
                  rejects: str) -> list[Malformed]:
    """Read one segment into `table`; the rows DuckDB rejected, at their line in the CSV."""
    columns = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
    conn.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv({quote_literal(str(segment.path))}, "
                 f"auto_detect = false, header = true, delim = {quote_literal(delimiter)}, quote = '\"', "
                 f"escape = '\"', columns = {columns}, store_rejects = true, rejects_table = '{rejects}_errors', "
                 f"rejects_scan = '{rejects}_scans')")
    found = conn.execute(f"SELECT line_byte_position, string_agg(DISTINCT error_type, ', '), "
                         f"first(csv_line ORDER BY error_type) FROM {rejects}_errors "
                         f"GROUP BY line_byte_position ORDER BY line_byte_position").fetchall()
    conn.execute(f"DROP TABLE {rejects}_errors; DROP TABLE {rejects}_scans")
    lines = byte_lines(segment.path, [position for position, _, _ in found])
    rows = [(line + segment.offset, kinds, text.strip("\r\n")) for line, (_, kinds, text) in zip(lines, found)]
    return [Malformed(line, _detail(kinds, text, len(header), line), text, "UNQUOTED" in kinds and "\n" in text)
            for line, kinds, text in rows]


def _detail(kinds: str, text: str, expected: int, line: int) -> str:
    """How to fix a malformed row, in words."""
    if "ENCODING" in kinds or "UNICODE" in kinds:
        return "the row is not valid UTF-8 text; export the file again as UTF-8"
    if "LINE SIZE" in kinds:
        return "the row is longer than DuckDB reads in one line (2 MB); check for an unclosed quote above it"
    if "UNQUOTED" in kinds:
        if text.count("\n"):
            return (f"a quoted value opens on line {line} and never closes properly, so the lines after it "
                    "were read on their own; close the quote, or double a quote inside a quoted value (\"\")")
        return "a quoted value is not closed properly; close the quote, or double a quote inside a quoted value (\"\")"
    found = len(next(csv.reader([text]), []))
    return (f"the row has {found} field(s) but the header has {expected} ({kinds.lower()}); quote values that "
            "contain a comma, and check the row was not cut short")


def _split(segment: Segment, line: int, scratch: Path) -> list[Segment]:
    """The segment without its line `line` (a line of the CSV): a copy of what comes before it and one of what
    comes after it, each with the header, leaving out a part with no lines."""
    lines = _LINE_END.split(segment.path.read_bytes())
    cut = line - segment.offset  # 1-based line of the segment
    header = lines[0] if lines[0].endswith(b"\n") else lines[0] + b"\n"
    parts = []
    for number, (body, offset) in enumerate(((lines[1:cut - 1], segment.offset),
                                             (lines[cut:], segment.offset + cut - 1))):
        if any(chunk.strip() for chunk in body):
            copy = scratch / f"{segment.path.stem}.{line}.{number}.csv"
            copy.write_bytes(header + b"".join(body))
            parts.append(Segment(copy, offset))
    return parts


def _header_only(path: Path, scratch: Path) -> Path:
    """A copy of the CSV's header line alone (for a file whose every row was set aside)."""
    copy = scratch / f"{path.stem}.header.csv"
    copy.write_bytes(_LINE_END.split(path.read_bytes(), maxsplit=1)[0].rstrip(b"\r\n") + b"\n")
    return copy


def csv_header(path: Path) -> tuple[list[str], str]:
    """A CSV's column names and delimiter (the one of , ; tab | used most in the header line)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        first = handle.readline()
        delimiter = max(DELIMITERS, key=first.count)
        handle.seek(0)
        header = next(csv.reader(handle, delimiter=delimiter), [])
    if not header or not any(c.strip() for c in header):
        raise InputError([Problem(str(path), "line 1", "the file has no header row",
                                  "export it again with the column names on the first line")])
    names: list[str] = []
    for index, name in enumerate(header):
        name = name or f"column{index}"
        names.append(name if name not in names else f"{name}_{index}")
    return names, delimiter


def byte_lines(path: Path, positions: list[int]) -> list[int]:
    """The physical line (1-based) at each byte position of a file (positions in ascending order)."""
    lines, counted, offset = [], 0, 0
    with open(path, "rb") as handle:
        for position in positions:
            counted += handle.read(max(position - offset, 0)).count(b"\n")
            offset = max(position, offset)
            lines.append(counted + 1)
    return lines


def store_physical_lines(conn: duckdb.DuckDBPyConnection, target: str, read: CsvRead, rows: int) -> bool:
    """Give each row of `target` its physical line in a _source_line column (the file did not have one);
    whether the column was added. Lines are found with Python's csv module, segment by segment."""
    if LINEAGE_LINE in [c[0] for c in conn.execute(f"DESCRIBE {target}").fetchall()]:
        return False
    rejected = {m.line for m in read.malformed}
    starts = [line + segment.offset for segment in read.segments for line in record_lines(segment.path)[1:]]
    starts = [line for line in starts if line not in rejected]
    if len(starts) != rows:  # the two readers disagree: keep the position (an estimate) rather than guess
        return False
    conn.register("source_lines_frame", pl.DataFrame({LINEAGE_LINE: starts}, schema={LINEAGE_LINE: pl.Int64}))
    conn.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {target} POSITIONAL JOIN source_lines_frame")
    conn.unregister("source_lines_frame")
    return True


def record_lines(path: Path) -> list[int]:
    """The first physical line of every non-blank record of a CSV (the header first)."""
    csv.field_size_limit(1 << 30)
    _, delimiter = csv_header(path)
    starts, end = [], 0
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        for record in reader:
            if record:
                starts.append(end + 1)
            end = reader.line_num
    return starts
