"""The ingest, step by step: value maps, raw files, checked core tables, coverage and audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from valuedata.ingest import delta
from valuedata.ingest.attributes import deal_attributes, record_deal_attributes, stored_deal_attributes
from valuedata.ingest.files import ID_COLUMNS, Load, append_file, ensure_storage, input_columns, input_files, view_statements
from valuedata.maps import ValueMap, load_maps, map_frames
from valuedata.warehouse.sql import fetch_one, quote_ident, quote_literal, render, run_sql

CRM_TABLES = ("reps", "deals", "engagements")  # in dependency order


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
    """Validate every map (InputError lists every problem) and write the core.value_map_* tables; a map that
    differs from the one loaded before makes the run a full rebuild. A batch's maps/ files replace the input
    folder's files of the same name."""
    maps = load_maps(input_dir / "maps", batch_dir / "maps" if batch_dir else None)
    frames = map_frames(maps)
    for name, frame in frames.items():
        conn.register(f"{name}_frame", frame)
        if delta.differs(conn, f"core.{name}", f"{name}_frame"):
            delta.require_full(conn, "a value map changed")
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
    """Type the current rows of raw.<table> (in a delta run, only those of the ids it recomputes), find the
    ones that break a rule, write the others into core.<table> and set the rule-breakers aside in
    staging.<table>_rejected. The typed rows are a view and the rule-breakers a table of this connection only:
    the rows are written once, into core."""
    plan = delta.decided_plan(conn)
    id_column = ID_COLUMNS[table]
    if not plan.full:
        delta.select_changed_ids(conn, table)
    rows = f"raw.{table}" if plan.full else delta.build_scope(conn, table)
    keys = {"table": table, "id_column": id_column, "row_struct": _row_struct(conn, table), "rows": rows}
    typed_values = {"rows": rows}
    core_values = {"write": delta.write_statement(plan, f"core.{table}", id_column, f"temp.{table}_loaded")}
    if table == "deals":
        attributes = deal_attributes(conn) if plan.full else stored_deal_attributes(conn)
        typed_values["attribute_columns"] = "".join(f", r.{quote_ident(a.source)}" for a in attributes)
        core_values["attribute_select"] = "".join(f", {a.select}" for a in attributes)
    run_sql(conn, f"staging/{table}_typed.sql", **typed_values)
    run_sql(conn, "staging/duplicates.sql", **keys)
    run_sql(conn, f"staging/{table}_checked.sql")
    if table == "engagements":
        run_sql(conn, "staging/title_roles.sql")
    run_sql(conn, f"core/{table}.sql", **core_values)
    if table == "deals":
        record_deal_attributes(conn, attributes)
    malformed_scope = "TRUE" if plan.full else f"list_contains({delta.new_load_seqs(conn, table)}, m.load_seq)"
    run_sql(conn, "staging/rejected.sql", **keys, malformed_scope=malformed_scope)
    conn.execute(f"DROP VIEW temp.{table}_loaded; DROP TABLE temp.{table}_checked; DROP TABLE temp.{table}_duplicates; "
                 f"DROP VIEW temp.{table}_typed; DROP TABLE IF EXISTS temp.title_roles; DROP TABLE IF EXISTS temp.{table}_scope")
    if table == "engagements" and not plan.full:
        delta.mark_coverage(conn)
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
    """Quarantine the current rows of raw.<table> that broke a rule and reconcile every file of the table
    (a delta run carries the previous reconciliation over, counting only what its own files changed)."""
    plan = delta.decided_plan(conn)
    previous = None if plan.full else delta.previous_reconciliation(conn, table)
    if previous:
        delta.note_superseded(conn, table)
    run_sql(conn, "audit/quarantine.sql", table=table,
            scope=delta.scope_predicate(plan, f"core.{table}", "record_id"))
    if previous:
        new = delta.new_load_seqs(conn, table)
        counts = render("audit/load_counts_delta.sql", table=table, previous_run=previous, new_seqs=str(new),
                        id_column=quote_ident(ID_COLUMNS[table]), new_load_rows=delta.new_rows_sql(conn, table))
    else:
        counts = render("audit/load_counts_full.sql", table=table)
    run_sql(conn, "audit/loads.sql", table=table, counts=counts)
    conn.execute(f"DROP TABLE IF EXISTS temp.{table}_superseded")
    return _table_load(conn, table)


def _row_struct(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL for the row as the user wrote it (lineage columns left out), on raw table alias `r`."""
    return "struct_pack(" + ", ".join(f"{quote_ident(c)} := r.{quote_ident(c)}"
                                      for c in input_columns(conn, table)) + ")"


def _table_load(conn: duckdb.DuckDBPyConnection, table: str) -> TableLoad:
    read, loaded, quarantined, superseded = fetch_one(
        conn, "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined), sum(rows_superseded) FROM audit.loads "
        "WHERE run_id = getvariable('run_id') AND table_name = ?", [table])
    rules = dict(conn.execute(
        "SELECT rule, count(*) FROM audit.quarantine WHERE table_name = ? GROUP BY rule ORDER BY rule",
        [table]).fetchall())
    return TableLoad(table, int(read or 0), int(loaded or 0), int(quarantined or 0), int(superseded or 0), rules)


def build_deal_coverage(conn: duckdb.DuckDBPyConnection) -> int:
    """analytics.deal_coverage (in a delta run, the rows of the deals it recomputes); returns the number of deals."""
    conn.execute("SET preserve_insertion_order = false")  # lets the per-deal aggregation spill to disk
    plan = delta.decided_plan(conn)
    run_sql(conn, "analytics/deal_coverage.sql", deal_scope=delta.scope_predicate(plan, delta.COVERAGE, "deal_id"),
            write=delta.write_statement(plan, delta.COVERAGE, "deal_id", "temp.deal_coverage_rows"))
    conn.execute("DROP VIEW temp.deal_coverage_rows")
    conn.execute("RESET preserve_insertion_order")
    return fetch_one(conn, "SELECT count(*) FROM analytics.deal_coverage")[0]


def build_unmapped_titles(conn: duckdb.DuckDBPyConnection) -> int:
    """audit.unmapped_titles (in a delta run, the titles of the engagements and deals it recomputed); returns
    the number of distinct unmapped titles."""
    plan = delta.decided_plan(conn)
    if plan.full:
        conn.execute("CREATE TABLE IF NOT EXISTS audit.unmapped_titles (title VARCHAR, engagements BIGINT, deals BIGINT, "
                     "won_deals BIGINT, lost_deals BIGINT, segments VARCHAR[])")
    else:
        delta.mark_titles(conn)
    run_sql(conn, "audit/unmapped_titles.sql", title_scope=delta.scope_predicate(plan, delta.TITLES, "e.contact_title"),
            kept_scope=delta.scope_predicate(plan, delta.TITLES, "title"))
    return fetch_one(conn, "SELECT count(*) FROM audit.unmapped_titles")[0]
