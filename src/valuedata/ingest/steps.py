"""The ingest, step by step: value maps, raw files, checked core tables, coverage and audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from valuedata.ingest.files import (ID_COLUMNS, KNOWN_COLUMNS, Load, append_file, ensure_storage, input_columns,
                                    input_files, view_statements)
from valuedata.maps import ValueMap, load_maps, map_frames
from valuedata.warehouse.sql import fetch_one, quote_ident, quote_literal, run_sql

CRM_TABLES = ("reps", "deals", "engagements")  # in dependency order
DEAL_COLUMNS = KNOWN_COLUMNS["deals"] + ("map_id", "_file", "_line", "_load_seq")


@dataclass(frozen=True)
class TableLoad:
    """How one CRM table's rows went: read, loaded, quarantined (and by which rule)."""

    table: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_superseded: int
    rules: dict[str, int]


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


def load_value_maps(conn: duckdb.DuckDBPyConnection, input_dir: Path, batch_dir: Path | None = None) -> list[ValueMap]:
    """Validate every map (InputError lists every problem) and write the core.value_map_* tables.
    A batch's maps/ files replace the input folder's files of the same name."""
    maps = load_maps(input_dir / "maps", batch_dir / "maps" if batch_dir else None)
    frames = map_frames(maps)
    for name, frame in frames.items():
        conn.register(f"{name}_frame", frame)
        run_sql(conn, f"core/{name}.sql")
        conn.unregister(f"{name}_frame")
    return maps


def load_raw_files(conn: duckdb.DuckDBPyConnection, input_dir: Path, run_id: str,
                   batch_dir: Path | None = None) -> list[Load]:
    """Append the input folder's CRM files (then a batch's) to the raw layer, skipping content loaded before."""
    loads = [append_file(conn, table, path, run_id) for table, path in input_files(input_dir, batch_dir)]
    for table in CRM_TABLES:
        ensure_storage(conn, table, run_id)
        for statement in view_statements(conn, table):
            conn.execute(statement)
    return loads


def build_core_table(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    """Type the current rows of raw.<table>, find the ones that break a rule, load the others into
    core.<table> and set the rule-breakers aside in staging.<table>_rejected. The typed rows are a view
    and the rule-breakers a table of this connection only: the rows are written once, into core."""
    row_struct = _row_struct(conn, table)
    keys = {"table": table, "id_column": ID_COLUMNS[table], "row_struct": row_struct}
    typed_values, core_values = {}, {}
    if table == "deals":
        attributes = _deal_attributes(conn)
        typed_values = {"attribute_columns": "".join(f", r.{quote_ident(a.source)}" for a in attributes)}
        core_values = {"attribute_select": "".join(f", {a.select}" for a in attributes)}
    run_sql(conn, f"staging/{table}_typed.sql", **typed_values)
    run_sql(conn, "staging/duplicates.sql", **keys)
    run_sql(conn, f"staging/{table}_checked.sql")
    if table == "engagements":
        run_sql(conn, "staging/title_roles.sql")
    run_sql(conn, f"core/{table}.sql", **core_values)
    if table == "deals":
        _record_deal_attributes(conn, attributes)
    run_sql(conn, "staging/rejected.sql", **keys)
    conn.execute(f"DROP TABLE temp.{table}_checked; DROP TABLE temp.{table}_duplicates; DROP VIEW temp.{table}_typed; "
                 "DROP TABLE IF EXISTS temp.title_roles")
    return fetch_one(conn, f"SELECT count(*) FROM core.{table}")[0]


def load_checked_tables(conn: duckdb.DuckDBPyConnection) -> list[TableLoad]:
    """Every CRM table checked and loaded into core, its rejected rows quarantined and reconciled."""
    loads = []
    for table in CRM_TABLES:
        build_core_table(conn, table)
        loads.append(record_audit(conn, table))
    return loads


def ingest_folder(conn: duckdb.DuckDBPyConnection, input_dir: Path, run_id: str) -> list[TableLoad]:
    """A whole ingest of one native folder into an empty database: schemas, maps, raw files, checked core
    tables and quarantine (what tests and benchmarks build on)."""
    run_sql(conn, "schemas.sql")
    start_run(conn, run_id, input_dir)
    load_value_maps(conn, input_dir)
    load_raw_files(conn, input_dir, run_id)
    return load_checked_tables(conn)


def record_audit(conn: duckdb.DuckDBPyConnection, table: str) -> TableLoad:
    """Quarantine the current rows of raw.<table> that broke a rule and reconcile every file of the table."""
    run_sql(conn, "audit/quarantine.sql", table=table)
    run_sql(conn, "audit/loads.sql", table=table)
    return _table_load(conn, table)


def _row_struct(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL for the row as the user wrote it (lineage columns left out), on raw table alias `r`."""
    return "struct_pack(" + ", ".join(f"{quote_ident(c)} := r.{quote_ident(c)}"
                                      for c in input_columns(conn, table)) + ")"


@dataclass(frozen=True)
class DealAttribute:
    """An extra deals column kept as a typed attribute of core.deals."""

    name: str
    source: str
    data_type: str

    @property
    def select(self) -> str:
        ident = quote_ident(self.source)
        value = f"staging.clean({ident})" if self.data_type == "VARCHAR" else f"TRY_CAST(staging.clean({ident}) AS DOUBLE)"
        return f"{value} AS {quote_ident(self.name)}"


def _deal_attributes(conn: duckdb.DuckDBPyConnection) -> list[DealAttribute]:
    """The extra deal columns, typed DOUBLE when every value is a number."""
    extra = [c for c in input_columns(conn, "deals") if c not in KNOWN_COLUMNS["deals"]]
    attributes = []
    for column in extra:
        ident = quote_ident(column)
        filled, numeric = fetch_one(
            conn, f"SELECT count(staging.clean({ident})), count(TRY_CAST(staging.clean({ident}) AS DOUBLE)) FROM raw.deals")
        name = column if column not in DEAL_COLUMNS else f"attr_{column}"
        attributes.append(DealAttribute(name, column, "DOUBLE" if filled and filled == numeric else "VARCHAR"))
    return attributes


def _record_deal_attributes(conn: duckdb.DuckDBPyConnection, attributes: list[DealAttribute]) -> None:
    """core.deal_attributes: each attribute with how many loaded deals (core.deals, quarantined rows left out)
    have a value."""
    counts = fetch_one(conn, "SELECT " + ", ".join(f"count({quote_ident(a.name)})" for a in attributes)
                       + " FROM core.deals") if attributes else ()
    frame = pl.DataFrame([{"name": a.name, "source_column": a.source, "data_type": a.data_type,
                           "deals_with_value": n} for a, n in zip(attributes, counts)],
                         schema={"name": pl.String, "source_column": pl.String, "data_type": pl.String,
                                 "deals_with_value": pl.Int64})
    conn.register("deal_attributes_frame", frame)
    run_sql(conn, "core/deal_attributes.sql")
    conn.unregister("deal_attributes_frame")


def _table_load(conn: duckdb.DuckDBPyConnection, table: str) -> TableLoad:
    read, loaded, quarantined, superseded = fetch_one(
        conn, "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined), sum(rows_superseded) FROM audit.loads "
        "WHERE run_id = getvariable('run_id') AND table_name = ?", [table])
    rules = dict(conn.execute(
        "SELECT rule, count(*) FROM audit.quarantine WHERE table_name = ? GROUP BY rule ORDER BY rule",
        [table]).fetchall())
    return TableLoad(table, int(read or 0), int(loaded or 0), int(quarantined or 0), int(superseded or 0), rules)


def build_deal_coverage(conn: duckdb.DuckDBPyConnection) -> int:
    """analytics.deal_coverage; returns the number of deals."""
    conn.execute("SET preserve_insertion_order = false")  # lets the per-deal aggregation spill to disk
    run_sql(conn, "analytics/deal_coverage.sql")
    conn.execute("RESET preserve_insertion_order")
    return fetch_one(conn, "SELECT count(*) FROM analytics.deal_coverage")[0]


def build_unmapped_titles(conn: duckdb.DuckDBPyConnection) -> int:
    """audit.unmapped_titles; returns the number of distinct unmapped titles."""
    run_sql(conn, "audit/unmapped_titles.sql")
    return fetch_one(conn, "SELECT count(*) FROM audit.unmapped_titles")[0]
