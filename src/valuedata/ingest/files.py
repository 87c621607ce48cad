"""Find the CRM files of an input folder and read them, as text, into the raw layer."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

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
OPTIONAL_TABLES = ("engagements",)


@dataclass(frozen=True)
class RawFile:
    """One CRM file as loaded into `raw.<table>`."""

    table: str
    file: str
    sha256: str | None
    rows_read: int
    columns: tuple[str, ...]
    line_offset: int

    @property
    def input_columns(self) -> tuple[str, ...]:
        """The columns a user wrote (lineage columns excluded)."""
        return tuple(c for c in self.columns if not c.startswith("_"))

    @property
    def line_expr(self) -> str:
        """SQL for a row's line in its original file (header = line 1 for CSV)."""
        if LINEAGE_LINE in self.columns:
            return f"TRY_CAST({quote_ident(LINEAGE_LINE)} AS BIGINT)"
        return f"rowid + {self.line_offset}"

    @property
    def file_expr(self) -> str:
        """SQL for a row's original file name."""
        if LINEAGE_FILE in self.columns:
            return f"coalesce({quote_ident(LINEAGE_FILE)}, {quote_literal(self.file)})"
        return quote_literal(self.file)


def find_table_file(input_dir: Path, table: str) -> Path | None:
    """`<table>.csv` or `<table>.parquet` in the input folder; both at once is ambiguous."""
    found = [p for p in (input_dir / f"{table}.csv", input_dir / f"{table}.parquet") if p.is_file()]
    if len(found) > 1:
        raise InputError([Problem(str(input_dir), f"{table}.csv and {table}.parquet",
                                  "both files exist, so it is unclear which to load",
                                  "keep only one of them in the input folder")])
    return found[0] if found else None


def check_input_folder(input_dir: Path) -> dict[str, Path | None]:
    """The CRM file of each table; raise when the folder or a required file is missing."""
    if not input_dir.is_dir():
        raise InputError([Problem(str(input_dir), "folder", "does not exist",
                                  "pass --input DIR (or set VALUEDATA_INPUT) to a folder with maps/, deals.csv, reps.csv")])
    files: dict[str, Path | None] = {}
    problems = []
    for table in REQUIRED_COLUMNS:
        try:
            files[table] = find_table_file(input_dir, table)
        except InputError as exc:
            problems += exc.problems
            continue
        if files[table] is None and table not in OPTIONAL_TABLES:
            problems.append(Problem(str(input_dir / f"{table}.csv"), "file", "is missing",
                                    f"export {table} from the CRM as {table}.csv (or .parquet); see CONTRACT §1"))
    if problems:
        raise InputError(problems)
    return files


def load_raw_table(conn: duckdb.DuckDBPyConnection, table: str, path: Path | None) -> RawFile:
    """Read one CRM file into `raw.<table>` with every value as text; check its required columns."""
    target = f"raw.{table}"
    if path is None:
        cols = ", ".join(f"NULL::VARCHAR AS {quote_ident(c)}" for c in KNOWN_COLUMNS[table])
        conn.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT {cols} LIMIT 0")
        return RawFile(table, f"{table} (no file)", None, 0, KNOWN_COLUMNS[table], 2)
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(file_sha256, path)
        _read_into(conn, target, path)
        sha = digest.result()
    columns = _normalise_headers(conn, target, path, table)
    rows = fetch_one(conn, f"SELECT count(*) FROM {target}")[0]
    offset = 2 if path.suffix.lower() == ".csv" else 1
    return RawFile(table, str(path), sha, rows, columns, offset)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 8 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(8 << 20):
            h.update(block)
    return h.hexdigest()


def _read_into(conn: duckdb.DuckDBPyConnection, target: str, path: Path) -> None:
    source = quote_literal(str(path))
    if path.suffix.lower() == ".parquet":
        reader = f"read_parquet({source})"
        select = "SELECT COLUMNS(*)::VARCHAR"
    else:
        reader = f"read_csv({source}, header = true, all_varchar = true, auto_detect = true, quote = '\"', escape = '\"')"
        select = "SELECT *"
    try:
        conn.execute(f"CREATE OR REPLACE TABLE {target} AS {select} FROM {reader}")
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError([Problem(str(path), "file", f"cannot be read as {path.suffix[1:].upper()}: {first}",
                                  "export it again as a comma-separated file with a header row (UTF-8)")]) from None


def _normalise_headers(conn: duckdb.DuckDBPyConnection, target: str, path: Path, table: str) -> tuple[str, ...]:
    """Rename contract columns written in another case or with spaces; fail on missing required ones."""
    columns = [row[0] for row in conn.execute(f"DESCRIBE {target}").fetchall()]
    for column in columns:
        canonical = column.strip().lower().replace(" ", "_")
        if canonical != column and canonical in KNOWN_COLUMNS[table] and canonical not in columns:
            conn.execute(f"ALTER TABLE {target} RENAME {quote_ident(column)} TO {quote_ident(canonical)}")
    columns = [row[0] for row in conn.execute(f"DESCRIBE {target}").fetchall()]
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in columns]
    if missing:
        raise InputError([Problem(str(path), "header (line 1)", f"required column(s) missing: {', '.join(missing)}",
                                  f"add the column(s) to the export; {table} needs {', '.join(REQUIRED_COLUMNS[table])}"
                                  f" (found: {', '.join(columns[:12])})")])
    return tuple(columns)
