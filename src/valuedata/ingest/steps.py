"""The ingest, step by step: value maps, raw files, checked core tables, coverage and audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from valuedata.ingest.files import LINEAGE_FILE, RawFile, check_input_folder, load_raw_table
from valuedata.maps import ValueMap, load_maps, map_frames
from valuedata.warehouse.sql import fetch_one, quote_ident, quote_literal, run_sql

CRM_TABLES = ("reps", "deals", "engagements")  # in dependency order
ID_COLUMNS = {"reps": "rep_id", "deals": "deal_id", "engagements": "engagement_id"}
DEAL_COLUMNS = ("deal_id", "account_id", "account_name", "segment", "rep_id", "amount", "currency",
                "created_at", "closed_at", "outcome", "map_id", "_file", "_line")


@dataclass(frozen=True)
class TableLoad:
    """How one CRM table's rows went: read, loaded, quarantined (and by which rule)."""

    table: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rules: dict[str, int]

    @property
    def reconciled(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined


def start_run(conn: duckdb.DuckDBPyConnection, run_id: str, input_dir: Path, source: str = "native") -> None:
    """Name the run for the SQL that follows and record it in audit.runs."""
    set_run_variables(conn, run_id)
    conn.execute("INSERT INTO audit.runs VALUES (?, getvariable('loaded_at'), ?, ?)",
                 [run_id, str(input_dir), source])


def set_run_variables(conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Make `run_id` and `loaded_at` and the staging macros available to this connection's SQL."""
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    conn.execute(f"SET VARIABLE run_id = {quote_literal(run_id)}")
    conn.execute(f"SET VARIABLE loaded_at = TIMESTAMP '{now.isoformat(sep=' ')}'")
    run_sql(conn, "macros.sql")


def load_value_maps(conn: duckdb.DuckDBPyConnection, input_dir: Path) -> list[ValueMap]:
    """Validate every map (InputError lists every problem) and write the core.value_map_* tables."""
    maps = load_maps(input_dir / "maps")
    frames = map_frames(maps)
    for name, frame in frames.items():
        conn.register(f"{name}_frame", frame)
        run_sql(conn, f"core/{name}.sql")
        conn.unregister(f"{name}_frame")
    return maps


def load_raw_files(conn: duckdb.DuckDBPyConnection, input_dir: Path) -> list[RawFile]:
    """Read every CRM file into raw.* as text and describe them in raw.files."""
    files = check_input_folder(input_dir)
    loaded = [load_raw_table(conn, table, files[table]) for table in CRM_TABLES]
    frame = pl.DataFrame(
        [{"table_name": f.table, "file": f.file, "sha256": f.sha256, "rows_read": f.rows_read,
          "line_offset": f.line_offset, "columns": list(f.columns)} for f in loaded],
        schema={"table_name": pl.String, "file": pl.String, "sha256": pl.String, "rows_read": pl.Int64,
                "line_offset": pl.Int32, "columns": pl.List(pl.String)})
    conn.register("raw_files_frame", frame)
    run_sql(conn, "raw/files.sql")
    conn.unregister("raw_files_frame")
    return loaded


def raw_file(conn: duckdb.DuckDBPyConnection, table: str) -> RawFile:
    """The raw.files description of one CRM table, as loaded earlier in this run."""
    row = fetch_one(conn, "SELECT file, sha256, rows_read, columns, line_offset FROM raw.files WHERE table_name = ?",
                       [table])
    if row is None:
        raise RuntimeError(f"raw.{table} has not been loaded in this run")
    file, sha, rows, columns, offset = row
    return RawFile(table, file, sha, rows, tuple(columns), offset)


def build_core_table(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    """Check raw.<table> row by rule and load the good rows into core.<table>; returns rows loaded."""
    raw = raw_file(conn, table)
    run_sql(conn, f"staging/{table}_checked.sql", line_expr=raw.line_expr, file_expr=raw.file_expr,
            row_struct=_row_struct(raw))
    if table == "engagements":
        run_sql(conn, "staging/title_roles.sql")
    if table == "deals":
        run_sql(conn, "core/deals.sql", attribute_select=_deal_attributes(conn, raw))
    else:
        run_sql(conn, f"core/{table}.sql")
    return fetch_one(conn, f"SELECT count(*) FROM core.{table}")[0]


def record_audit(conn: duckdb.DuckDBPyConnection, table: str) -> TableLoad:
    """Quarantine the rows of raw.<table> that broke a rule and reconcile the table per source file."""
    raw = raw_file(conn, table)
    run_sql(conn, "audit/quarantine.sql", table=table, id_column=ID_COLUMNS[table], row_struct=_row_struct(raw))
    sha = quote_literal(raw.sha256) if raw.sha256 and LINEAGE_FILE not in raw.columns else "NULL"
    run_sql(conn, "audit/loads.sql", table=table, file_expr=raw.file_expr, sha256=sha)
    return _table_load(conn, table)


def _row_struct(raw: RawFile) -> str:
    """SQL for the row as the user wrote it (lineage columns left out), on raw table alias `r`."""
    return "struct_pack(" + ", ".join(f"{quote_ident(c)} := r.{quote_ident(c)}" for c in raw.input_columns) + ")"


def _deal_attributes(conn: duckdb.DuckDBPyConnection, raw: RawFile) -> str:
    """Type the extra deal columns (DOUBLE when every value is a number), record them, return their SELECT."""
    extra = [c for c in raw.input_columns if c not in DEAL_COLUMNS and c not in ("amount", "currency")]
    rows, select = [], []
    for column in extra:
        ident = quote_ident(column)
        filled, numeric = fetch_one(
            conn, f"SELECT count(nullif(trim({ident}), '')), count(TRY_CAST(nullif(trim({ident}), '') AS DOUBLE)) "
            "FROM raw.deals")
        data_type = "DOUBLE" if filled and filled == numeric else "VARCHAR"
        name = column if column not in DEAL_COLUMNS else f"attr_{column}"
        expr = f"TRY_CAST(nullif(trim(r.{ident}), '') AS DOUBLE)" if data_type == "DOUBLE" else f"nullif(trim(r.{ident}), '')"
        select.append(f", {expr} AS {quote_ident(name)}")
        rows.append({"name": name, "source_column": column, "data_type": data_type, "deals_with_value": filled})
    frame = pl.DataFrame(rows, schema={"name": pl.String, "source_column": pl.String, "data_type": pl.String,
                                       "deals_with_value": pl.Int64})
    conn.register("deal_attributes_frame", frame)
    run_sql(conn, "core/deal_attributes.sql")
    conn.unregister("deal_attributes_frame")
    return "".join(select)


def _table_load(conn: duckdb.DuckDBPyConnection, table: str) -> TableLoad:
    read, loaded, quarantined = fetch_one(
        conn, "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM audit.loads "
        "WHERE run_id = getvariable('run_id') AND table_name = ?", [table])
    rules = dict(conn.execute(
        "SELECT rule, count(*) FROM audit.quarantine WHERE run_id = getvariable('run_id') AND table_name = ? "
        "GROUP BY rule ORDER BY rule", [table]).fetchall())
    return TableLoad(table, int(read or 0), int(loaded or 0), int(quarantined or 0), rules)


def build_deal_coverage(conn: duckdb.DuckDBPyConnection) -> int:
    """analytics.deal_coverage; returns the number of deals."""
    run_sql(conn, "analytics/deal_coverage.sql")
    return fetch_one(conn, "SELECT count(*) FROM analytics.deal_coverage")[0]


def build_unmapped_titles(conn: duckdb.DuckDBPyConnection) -> int:
    """audit.unmapped_titles; returns the number of distinct unmapped titles."""
    run_sql(conn, "audit/unmapped_titles.sql")
    return fetch_one(conn, "SELECT count(*) FROM audit.unmapped_titles")[0]
