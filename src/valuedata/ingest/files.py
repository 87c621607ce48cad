"""Find the CRM files of an input folder and append new ones, as text, to the raw layer.

Each file is read once: its rows go into a table of their own, `raw.<table>_load_<n>`, registered
in `raw.loads` with the file's SHA-256. A file whose content was loaded before is skipped. The view
`raw.<table>` shows the current rows: for every id, the rows of the latest load that has it (a deal
in a later export supersedes its earlier version); older versions stay queryable in the load tables.
"""

from __future__ import annotations

import hashlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from valuedata.errors import InputError, Problem
from valuedata.ingest.csvfile import LINEAGE_LINE, CsvRead, read_csv, store_physical_lines
from valuedata.warehouse.sql import fetch_one, quote_ident, quote_literal

LINEAGE_FILE = "_source_file"

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
                                        "see docs/contract.md, 'Input folder'"))
    if problems:
        raise InputError(problems)
    return pairs


def append_file(conn: duckdb.DuckDBPyConnection, table: str, path: Path, run_id: str) -> Load:
    """Read a file into its own raw load table unless its content is already loaded; register it.
    A file loaded before from the same path, with the same size and modification time, is taken as
    unchanged without reading it again (as `make` and `rsync` do). Otherwise it is hashed while DuckDB reads
    it, unless an earlier load of the table has the same size: then it may be the same content, and the hash
    decides first whether to read it at all.
    Rows of a CSV that cannot be split into the header's columns go to raw.malformed_rows."""
    stat = path.stat()
    size, mtime = stat.st_size, stat.st_mtime_ns
    untouched = _untouched_load(conn, table, path, size, mtime)
    if untouched is not None:
        return untouched
    with ThreadPoolExecutor(max_workers=1) as pool, tempfile.TemporaryDirectory(prefix="valuedata-csv-") as scratch:
        scanned = pool.submit(scan_file, path)
        if _maybe_loaded(conn, table, size):
            known = _known_load(conn, table, path, scanned.result().sha256)
            if known is not None:
                return known
        seq = _next_seq(conn)
        target = load_table(table, seq)
        read = _read_into(conn, target, path, seq, table, Path(scratch))
        scan = scanned.result()
        columns = _normalise_headers(conn, target, path, table)
        rows = fetch_one(conn, f"SELECT count(*) FROM {target}")[0]
        malformed = len(read.malformed) if read else 0
        if read and not (malformed == 0 and scan.lines == rows + 1) and store_physical_lines(conn, target, read, rows):
            columns += (LINEAGE_LINE,)
    _register(conn, seq, table, str(path), scan.sha256, size, rows + malformed, columns, 2 if read else 1, run_id,
              mtime)
    return Load(seq, table, str(path), scan.sha256, rows + malformed, columns, new=True)


def _untouched_load(conn: duckdb.DuckDBPyConnection, table: str, path: Path, size: int, mtime: int) -> Load | None:
    """The earlier load of this very file, if its size and modification time have not changed since."""
    known = fetch_one(conn, "SELECT seq, rows_read, columns, sha256 FROM raw.loads WHERE table_name = ? AND file = ? "
                            "AND bytes = ? AND mtime_ns = ? ORDER BY seq DESC LIMIT 1", [table, str(path), size, mtime])
    if known is None:
        return None
    seq, rows, columns, sha = known
    return Load(seq, table, str(path), sha, rows, tuple(columns), new=False)


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
              rows: int, columns: tuple[str, ...], line_offset: int, run_id: str, mtime: int | None = None) -> None:
    """Record a load in raw.loads."""
    conn.execute("INSERT INTO raw.loads (seq, table_name, file, sha256, bytes, rows_read, columns, line_offset, run_id, "
                 "loaded_at, mtime_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, getvariable('loaded_at'), ?)",
                 [seq, table, file, sha, size, rows, list(columns), line_offset, run_id, mtime])


def view_statements(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """SQL for the views `raw.<table>_all` (every load's rows with _load_seq, _file, _line) and
    `raw.<table>` (the current rows: per id, only the latest load that has it)."""
    statements = [f"CREATE OR REPLACE VIEW raw.{table}_all AS " + load_rows_sql(conn, table)]
    if fetch_one(conn, "SELECT count(*) FROM raw.loads WHERE table_name = ?", [table])[0] == 1:
        return statements + [f"CREATE OR REPLACE VIEW raw.{table} AS SELECT * FROM raw.{table}_all"]
    key = f"nullif(trim(a.{quote_ident(ID_COLUMNS[table])}), '')"
    return statements + [
        f"CREATE OR REPLACE VIEW raw.{table} AS "
        f"WITH latest AS (SELECT {key} AS k, max(a._load_seq) AS m FROM raw.{table}_all a GROUP BY 1) "
        f"SELECT a.* FROM raw.{table}_all a LEFT JOIN latest l ON l.k = {key} "
        f"WHERE l.k IS NULL OR a._load_seq = l.m"]


def load_rows_sql(conn: duckdb.DuckDBPyConnection, table: str, seqs: list[int] | None = None) -> str:
    """SQL for the rows of a table's loads (all of them, or those numbered `seqs`), each with the lineage
    columns _load_seq, _file and _line."""
    loads = conn.execute("SELECT seq, file, columns, line_offset FROM raw.loads WHERE table_name = ? "
                         "AND (? OR list_contains(?, seq)) ORDER BY seq", [table, seqs is None, seqs or []]).fetchall()
    parts = []
    for seq, file, columns, offset in loads:
        line = f"TRY_CAST({quote_ident(LINEAGE_LINE)} AS BIGINT)" if LINEAGE_LINE in columns else f"rowid + {offset}"
        name = f"coalesce({quote_ident(LINEAGE_FILE)}, {quote_literal(file)})" if LINEAGE_FILE in columns \
            else quote_literal(file)
        parts.append(f"SELECT *, {seq} AS _load_seq, {name} AS _file, {line} AS _line FROM {load_table(table, seq)}")
    return "\nUNION ALL BY NAME\n".join(parts)


def input_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns users wrote across every load of a table (lineage columns left out), in first-seen order."""
    seen: list[str] = []
    for (columns,) in conn.execute("SELECT columns FROM raw.loads WHERE table_name = ? ORDER BY seq", [table]).fetchall():
        seen += [c for c in columns if not c.startswith("_") and c not in seen]
    return seen


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


def _read_into(conn: duckdb.DuckDBPyConnection, target: str, path: Path, seq: int, table: str,
               scratch: Path) -> CsvRead | None:
    """Read a file into `target` as text; for a CSV, what was set aside as malformed and how it was read."""
    if path.suffix.lower() == ".parquet":
        _execute(conn, f"CREATE OR REPLACE TABLE {target} AS SELECT COLUMNS(*)::VARCHAR "
                       f"FROM read_parquet({quote_literal(str(path))})", path)
        return None
    try:
        read = read_csv(conn, target, path, seq, scratch)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError([Problem(str(path), "file", f"cannot be read as CSV: {first}",
                                  "export it again as a comma-separated file with a header row (UTF-8)")]) from None
    if read.malformed:
        conn.executemany("INSERT INTO raw.malformed_rows VALUES (?, ?, ?, ?, ?, ?)",
                         [[seq, table, str(path), m.line, m.detail, m.text] for m in read.malformed])
    return read


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
