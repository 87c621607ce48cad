"""Find the CRM files of an input folder and append new ones, as text, to the raw layer.

Each file is read once: its rows go into a table of their own, `raw.<table>_load_<n>`, registered
in `raw.loads` with the file's SHA-256. A file whose content was loaded before is skipped. The view
`raw.<table>` shows the current rows: for every id, the rows of the latest load that has it (a deal
in a later export supersedes its earlier version); older versions stay queryable in the load tables.
"""

from __future__ import annotations

import csv
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from valuedata.errors import InputError, Problem
from valuedata.warehouse.sql import fetch_one, quote_ident, quote_literal

LINEAGE_FILE = "_source_file"
LINEAGE_LINE = "_source_line"

REQUIRED_COLUMNS = {
    "reps": ("rep_id",),
    "deals": ("deal_id", "account_id", "segment", "rep_id", "created_at", "outcome"),
    "engagements": ("engagement_id", "deal_id", "occurred_at"),
}
KNOWN_COLUMNS = {
    "reps": ("rep_id", "name", "team", "manager", "region", "hired_at"),
    "deals": ("deal_id", "account_id", "account_name", "segment", "rep_id", "amount", "currency",
              "created_at", "closed_at", "outcome"),
    "engagements": ("engagement_id", "deal_id", "occurred_at", "contact_id", "contact_title", "role_id",
                    "channel", "value_propositions", "issues", "questions", "notes"),
}
ID_COLUMNS = {"reps": "rep_id", "deals": "deal_id", "engagements": "engagement_id"}
OPTIONAL_TABLES = ("engagements",)


@dataclass(frozen=True)
class Load:
    """One CRM file appended to the raw layer (or skipped because its content was loaded before)."""

    seq: int
    table: str
    file: str
    sha256: str
    rows_read: int
    columns: tuple[str, ...]
    new: bool



def load_table(table: str, seq: int) -> str:
    """The raw table holding the rows of load `seq` of a CRM table."""
    return f"raw.{table}_load_{seq}"


def find_table_file(input_dir: Path, table: str) -> Path | None:
    """`<table>.csv` or `<table>.parquet` in the input folder; both at once is ambiguous."""
    found = [p for p in (input_dir / f"{table}.csv", input_dir / f"{table}.parquet") if p.is_file()]
    if len(found) > 1:
        raise InputError([Problem(str(input_dir), f"{table}.csv and {table}.parquet",
                                  "both files exist, so it is unclear which to load",
                                  "keep only one of them in the input folder")])
    return found[0] if found else None


def input_files(input_dir: Path, batch_dir: Path | None = None) -> list[tuple[str, Path]]:
    """(table, file) pairs to load: the input folder's, then a batch's (which supersede them)."""
    if not input_dir.is_dir():
        raise InputError([Problem(str(input_dir), "folder", "does not exist",
                                  "pass --input DIR (or set VALUEDATA_INPUT) to a folder with maps/, deals.csv, reps.csv")])
    problems, pairs = [], []
    for folder in [input_dir] + ([batch_dir] if batch_dir else []):
        for table in KNOWN_COLUMNS:
            try:
                path = find_table_file(folder, table)
            except InputError as exc:
                problems += exc.problems
                continue
            if path is not None:
                pairs.append((table, path))
            elif folder == input_dir and table not in OPTIONAL_TABLES:
                problems.append(Problem(str(input_dir / f"{table}.csv"), "file", "is missing",
                                        f"export {table} from the CRM as {table}.csv (or .parquet); "
                                        "see docs/contract.md, 'Input files'"))
    if problems:
        raise InputError(problems)
    return pairs


def append_file(conn: duckdb.DuckDBPyConnection, table: str, path: Path, run_id: str) -> Load:
    """Read a file into its own raw load table unless its content is already loaded; register it.
    The file is hashed while DuckDB reads it, unless an earlier load of the table has the same size:
    then it may be the same content, and the hash decides first whether to read it at all.
    Rows of a CSV that cannot be split into the header's columns go to raw.malformed_rows."""
    size = path.stat().st_size
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanned = pool.submit(scan_file, path)
        if _maybe_loaded(conn, table, size):
            known = _known_load(conn, table, path, scanned.result().sha256)
            if known is not None:
                return known
        seq = _next_seq(conn)
        target = load_table(table, seq)
        malformed = _read_into(conn, target, path, seq, table)
        scan = scanned.result()
    columns = _normalise_headers(conn, target, path, table)
    rows = fetch_one(conn, f"SELECT count(*) FROM {target}")[0]
    csv_file = path.suffix.lower() == ".csv"
    if csv_file and store_physical_lines(conn, target, path, scan, rows, malformed):
        columns += (LINEAGE_LINE,)
    _register(conn, seq, table, str(path), scan.sha256, size, rows + len(malformed), columns, 2 if csv_file else 1,
              run_id)
    return Load(seq, table, str(path), scan.sha256, rows + len(malformed), columns, new=True)


def _maybe_loaded(conn: duckdb.DuckDBPyConnection, table: str, size: int) -> bool:
    """Whether an earlier load of `table` could have had this content: one of the same size (or of unknown size)."""
    return fetch_one(conn, "SELECT count(*) FROM raw.loads WHERE table_name = ? AND sha256 IS NOT NULL "
                           "AND coalesce(bytes, ?) = ?", [table, size, size])[0] > 0


def _known_load(conn: duckdb.DuckDBPyConnection, table: str, path: Path, sha: str) -> Load | None:
    """The earlier load of `table` with this content, if any."""
    known = fetch_one(conn, "SELECT seq, rows_read, columns FROM raw.loads WHERE table_name = ? AND sha256 = ? "
                            "ORDER BY seq DESC LIMIT 1", [table, sha])
    if known is None:
        return None
    seq, rows, columns = known
    return Load(seq, table, str(path), sha, rows, tuple(columns), new=False)


def ensure_storage(conn: duckdb.DuckDBPyConnection, table: str, run_id: str) -> None:
    """Give a table with no file at all (engagements are optional) an empty load, so its view exists."""
    if fetch_one(conn, "SELECT count(*) FROM raw.loads WHERE table_name = ?", [table])[0]:
        return
    seq = _next_seq(conn)
    cols = ", ".join(f"NULL::VARCHAR AS {quote_ident(c)}" for c in KNOWN_COLUMNS[table])
    conn.execute(f"CREATE OR REPLACE TABLE {load_table(table, seq)} AS SELECT {cols} LIMIT 0")
    _register(conn, seq, table, f"{table} (no file)", None, None, 0, KNOWN_COLUMNS[table], 2, run_id)


def _next_seq(conn: duckdb.DuckDBPyConnection) -> int:
    return fetch_one(conn, "SELECT coalesce(max(seq), 0) + 1 FROM raw.loads")[0]


def _register(conn: duckdb.DuckDBPyConnection, seq: int, table: str, file: str, sha: str | None, size: int | None,
              rows: int, columns: tuple[str, ...], line_offset: int, run_id: str) -> None:
    """Record a load in raw.loads."""
    conn.execute("INSERT INTO raw.loads (seq, table_name, file, sha256, bytes, rows_read, columns, line_offset, run_id, "
                 "loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, getvariable('loaded_at'))",
                 [seq, table, file, sha, size, rows, list(columns), line_offset, run_id])


def view_statements(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """SQL for the views `raw.<table>_all` (every load's rows with _load_seq, _file, _line) and
    `raw.<table>` (the current rows: per id, only the latest load that has it)."""
    loads = conn.execute("SELECT seq, file, columns, line_offset FROM raw.loads WHERE table_name = ? ORDER BY seq",
                         [table]).fetchall()
    parts = []
    for seq, file, columns, offset in loads:
        line = f"TRY_CAST({quote_ident(LINEAGE_LINE)} AS BIGINT)" if LINEAGE_LINE in columns else f"rowid + {offset}"
        name = f"coalesce({quote_ident(LINEAGE_FILE)}, {quote_literal(file)})" if LINEAGE_FILE in columns \
            else quote_literal(file)
        parts.append(f"SELECT *, {seq} AS _load_seq, {name} AS _file, {line} AS _line FROM {load_table(table, seq)}")
    statements = [f"CREATE OR REPLACE VIEW raw.{table}_all AS " + "\nUNION ALL BY NAME\n".join(parts)]
    if len(parts) == 1:
        return statements + [f"CREATE OR REPLACE VIEW raw.{table} AS SELECT * FROM raw.{table}_all"]
    key = f"nullif(trim(a.{quote_ident(ID_COLUMNS[table])}), '')"
    return statements + [
        f"CREATE OR REPLACE VIEW raw.{table} AS "
        f"WITH latest AS (SELECT {key} AS k, max(a._load_seq) AS m FROM raw.{table}_all a GROUP BY 1) "
        f"SELECT a.* FROM raw.{table}_all a LEFT JOIN latest l ON l.k = {key} "
        f"WHERE l.k IS NULL OR a._load_seq = l.m"]


def input_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns users wrote across every load of a table (lineage columns left out), in first-seen order."""
    seen: list[str] = []
    for (columns,) in conn.execute("SELECT columns FROM raw.loads WHERE table_name = ? ORDER BY seq", [table]).fetchall():
        seen += [c for c in columns if not c.startswith("_") and c not in seen]
    return seen


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 8 MiB blocks."""
    return scan_file(path).sha256


@dataclass(frozen=True)
class FileScan:
    """A file's SHA-256 and how many physical lines it has."""

    sha256: str
    lines: int


def scan_file(path: Path) -> FileScan:
    """Hash a file and count its lines (a last line without a newline counts), in 8 MiB blocks."""
    h = hashlib.sha256()
    newlines, last = 0, b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(8 << 20):
            h.update(block)
            newlines += block.count(b"\n")
            last = block[-1:]
    return FileScan(h.hexdigest(), newlines + (last != b"\n"))


def _read_into(conn: duckdb.DuckDBPyConnection, target: str, path: Path, seq: int, table: str) -> list[Malformed]:
    """Read a file into `target` as text. A CSV is read with the columns of its header and no guessing, so a
    malformed row (too few or too many fields, an unclosed quote) is set aside instead of spoiling the file:
    those rows are returned and recorded in raw.malformed_rows."""
    source = quote_literal(str(path))
    if path.suffix.lower() == ".parquet":
        _execute(conn, f"CREATE OR REPLACE TABLE {target} AS SELECT COLUMNS(*)::VARCHAR FROM read_parquet({source})",
                 path)
        return []
    header, delimiter = csv_header(path)
    columns = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
    rejects = f"rejects_{seq}"
    _execute(conn, f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM read_csv({source}, auto_detect = false, "
                   f"header = true, delim = {quote_literal(delimiter)}, quote = '\"', escape = '\"', "
                   f"columns = {columns}, store_rejects = true, rejects_table = '{rejects}_errors', "
                   f"rejects_scan = '{rejects}_scans')", path)
    found = conn.execute(f"SELECT line_byte_position, string_agg(DISTINCT error_type, ', '), "
                         f"first(csv_line ORDER BY error_type) FROM {rejects}_errors "
                         f"GROUP BY line_byte_position ORDER BY line_byte_position").fetchall()
    conn.execute(f"DROP TABLE {rejects}_errors; DROP TABLE {rejects}_scans")
    malformed = [Malformed(line, _malformed_detail(kinds, text, len(header), line), text.strip("\r\n"))
                 for line, (_, kinds, text) in zip(byte_lines(path, [f[0] for f in found]), found)]
    if malformed:
        conn.executemany("INSERT INTO raw.malformed_rows VALUES (?, ?, ?, ?, ?, ?)",
                         [[seq, table, str(path), m.line, m.detail, m.text] for m in malformed])
    return malformed


@dataclass(frozen=True)
class Malformed:
    """A CSV row that could not be split into the header's columns: its first physical line, why, its text."""

    line: int
    detail: str
    text: str


def _malformed_detail(kinds: str, text: str, expected: int, line: int) -> str:
    """How to fix a malformed row, in words."""
    if "ENCODING" in kinds or "UNICODE" in kinds:
        return "the row is not valid UTF-8 text; export the file again as UTF-8"
    if "LINE SIZE" in kinds:
        return "the row is longer than DuckDB reads in one line (2 MB); check for an unclosed quote above it"
    if "UNQUOTED" in kinds:
        lines = text.strip("\r\n").count("\n")
        where = f" (it runs on to line {line + lines}, read as one row)" if lines else ""
        return (f"a quoted value is not closed properly{where}; close the quote, or double a quote inside a "
                "quoted value (\"\")")
    found = len(next(csv.reader([text.strip("\r\n")]), []))
    return (f"the row has {found} field(s) but the header has {expected} ({kinds.lower()}); quote values that "
            "contain a comma, and check the row was not cut short")


def csv_header(path: Path) -> tuple[list[str], str]:
    """A CSV's column names and delimiter (the one of , ; tab | used most in the header line)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        first = handle.readline()
        delimiter = max((",", ";", "\t", "|"), key=first.count)
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


def store_physical_lines(conn: duckdb.DuckDBPyConnection, target: str, path: Path, scan: FileScan, rows: int,
                         malformed: list[Malformed]) -> bool:
    """Give each row of a CSV load its physical line in a _source_line column when its position does not tell it;
    whether the column was added. When each row is one line and nothing was skipped (the usual case) the line
    is the row's position plus 2; otherwise (values spanning lines, blank lines, malformed rows) the lines are
    found by reading the file with Python's csv module."""
    if not malformed and scan.lines == rows + 1:
        return False
    if LINEAGE_LINE in [c[0] for c in conn.execute(f"DESCRIBE {target}").fetchall()]:
        return False
    rejected = {m.line for m in malformed}
    starts = [line for line in record_lines(path) if line not in rejected and line > 1]
    if len(starts) != rows:  # the two readers disagree: keep the position (an estimate) rather than guess
        return False
    conn.register("source_lines_frame", pl.DataFrame({LINEAGE_LINE: starts}, schema={LINEAGE_LINE: pl.Int64}))
    conn.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {target} POSITIONAL JOIN source_lines_frame")
    conn.unregister("source_lines_frame")
    return True


def record_lines(path: Path) -> list[int]:
    """The first physical line of every non-blank record of a CSV (header included)."""
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


def _execute(conn: duckdb.DuckDBPyConnection, statement: str, path: Path) -> None:
    try:
        conn.execute(statement)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError([Problem(str(path), "file", f"cannot be read as {path.suffix[1:].upper()}: {first}",
                                  "export it again as a comma-separated file with a header row (UTF-8)")]) from None


def _normalise_headers(conn: duckdb.DuckDBPyConnection, target: str, path: Path, table: str) -> tuple[str, ...]:
    """Rename contract columns written in another case or with spaces, add absent optional ones as empty,
    and fail on missing required ones."""
    columns = [row[0] for row in conn.execute(f"DESCRIBE {target}").fetchall()]
    for column in columns:
        canonical = column.strip().lower().replace(" ", "_")
        if canonical != column and canonical in KNOWN_COLUMNS[table] and canonical not in columns:
            conn.execute(f"ALTER TABLE {target} RENAME {quote_ident(column)} TO {quote_ident(canonical)}")
    columns = [row[0] for row in conn.execute(f"DESCRIBE {target}").fetchall()]
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in columns]
    if missing:
        conn.execute(f"DROP TABLE {target}")
        raise InputError([Problem(str(path), "header (line 1)", f"required column(s) missing: {', '.join(missing)}",
                                  f"add the column(s) to the export; {table} needs {', '.join(REQUIRED_COLUMNS[table])}"
                                  f" (found: {', '.join(columns[:12])})")])
    for column in KNOWN_COLUMNS[table]:
        if column not in columns:
            conn.execute(f"ALTER TABLE {target} ADD COLUMN {quote_ident(column)} VARCHAR")
    return tuple(columns) + tuple(c for c in KNOWN_COLUMNS[table] if c not in columns)
