"""Nightly runs cost what changed: which ids of each CRM table a run recomputes.

A run is a *full rebuild* (every current raw row typed, checked and written) on the first run, when a
value map changed, when a deal attribute would change type, or when asked (`valuedata run --full`).
Otherwise it is a *delta*: only the ids the run's new files carry, and the ids a change upstream reaches
(the deals of a rep that was loaded or quarantined; the engagements of a deal that was loaded,
quarantined or moved to another map), are typed and checked again; their core rows and quarantine
entries are replaced and the coverage of their deals recomputed, with that of every deal whose tags the
tagging step changed (`tagging/warehouse.py`: a map learnt again retags deals no new file names). The full
rebuild is the reference: a delta leaves the same warehouse (tests/test_delta.py).

The run's decision is `staging.plan`; `staging.affected` lists the ids each relation recomputes
('core.reps', 'core.deals', 'core.engagements', 'analytics.deal_coverage'). Both live in the run's
staging schema, which publishing drops.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from valuedata.ingest.attributes import deal_attributes, json_path, stored_deal_attributes
from valuedata.ingest.files import ID_COLUMNS, KNOWN_COLUMNS, input_columns, load_rows_sql
from valuedata.warehouse.sql import fetch_one, quote_ident, quote_literal, table_exists

COVERAGE = "analytics.deal_coverage"
TITLES = "audit.unmapped_titles"
# what ties a core row to the next table's checks: a deal's map decides its engagements' ids and roles
_LINK = {"reps": "NULL::VARCHAR", "deals": "map_id", "engagements": "deal_id"}


@dataclass(frozen=True)
class Plan:
    """Whether this run rebuilds everything from the raw layer, and why."""

    full: bool
    reason: str


def require_full(conn: duckdb.DuckDBPyConnection, reason: str) -> None:
    """Make this run a full rebuild (called before the plan is decided, e.g. when a value map changed)."""
    conn.execute("CREATE TABLE IF NOT EXISTS staging.full_reasons (reason VARCHAR)")
    conn.execute("INSERT INTO staging.full_reasons VALUES (?)", [reason])


def differs(conn: duckdb.DuckDBPyConnection, table: str, rows: str) -> bool:
    """Whether `rows` differ from the existing `table` (a table that does not exist yet does not count:
    the first run is a full rebuild anyway)."""
    schema, name = table.split(".")
    if not table_exists(conn, schema, name):
        return False
    try:
        return fetch_one(conn, f"SELECT count(*) FROM ((SELECT * FROM {rows} EXCEPT ALL SELECT * FROM {table}) "
                               f"UNION ALL (SELECT * FROM {table} EXCEPT ALL SELECT * FROM {rows}))")[0] > 0
    except duckdb.Error:  # other columns: a warehouse built by an earlier version
        return True


def plan(conn: duckdb.DuckDBPyConnection, full_requested: bool = False) -> Plan:
    """The run's plan: decided by the first step that asks, then the same for every step. A database
    without a decided plan (validate, tests building a warehouse by hand) is rebuilt in full."""
    if table_exists(conn, "staging", "plan"):
        full, reason = fetch_one(conn, "SELECT full_rebuild, reason FROM staging.plan")
        return Plan(full, reason)
    reasons = (["asked for (--full)"] if full_requested else []) + _full_reasons(conn)
    decided = Plan(bool(reasons), "; ".join(reasons) or "delta: only what the new files change")
    conn.execute("CREATE TABLE staging.plan AS SELECT ? AS full_rebuild, ? AS reason", [decided.full, decided.reason])
    conn.execute("CREATE TABLE staging.affected (relation VARCHAR NOT NULL, id VARCHAR NOT NULL)")
    return decided


def decided_plan(conn: duckdb.DuckDBPyConnection) -> Plan:
    """The plan a step of this run follows; full when no step decided one (a warehouse built by hand)."""
    if table_exists(conn, "staging", "plan"):
        return plan(conn)
    return Plan(True, "no plan: built outside a pipeline run")


def mark(conn: duckdb.DuckDBPyConnection, relation: str, ids_sql: str) -> None:
    """Add the ids `ids_sql` selects (one column) to what `relation` recomputes in this delta run."""
    conn.execute(f"INSERT INTO staging.affected SELECT DISTINCT {quote_literal(relation)}, id "
                 f"FROM ({ids_sql}) AS ids(id) WHERE id IS NOT NULL "
                 f"EXCEPT SELECT relation, id FROM staging.affected")


def record(conn: duckdb.DuckDBPyConnection, relation: str, id_column: str) -> int:
    """Note in audit.recomputed how many ids of `relation` this run recomputed (all of them in a full
    rebuild); returns that number."""
    decided = decided_plan(conn)
    ids = fetch_one(conn, f"SELECT count(DISTINCT {id_column}) FROM {relation}")[0] if decided.full \
        else count_affected(conn, relation)
    conn.execute("INSERT INTO audit.recomputed VALUES (getvariable('run_id'), ?, ?, ?, ?)",
                 [relation, decided.full, decided.reason, ids])
    return ids


def count_affected(conn: duckdb.DuckDBPyConnection, relation: str) -> int:
    """How many ids `relation` recomputes in this delta run."""
    return fetch_one(conn, "SELECT count(*) FROM staging.affected WHERE relation = ?", [relation])[0]


def affected_sql(relation: str) -> str:
    """SQL selecting the ids `relation` recomputes in this delta run."""
    return f"SELECT id FROM staging.affected WHERE relation = {quote_literal(relation)}"


def scope_predicate(plan_: Plan, relation: str, column: str) -> str:
    """A WHERE condition keeping the rows `relation` recomputes: all of them in a full rebuild."""
    return "TRUE" if plan_.full else f"{column} IN ({affected_sql(relation)})"


def scoped_relation(plan_: Plan, relation: str, column: str) -> str:
    """`relation` itself in a full rebuild, else only its rows this delta run recomputed."""
    if plan_.full:
        return relation
    return f"(SELECT * FROM {relation} WHERE {scope_predicate(plan_, relation, column)})"


def write_statement(plan_: Plan, relation: str, column: str, rows: str, scope_of: str | None = None) -> str:
    """SQL that writes the freshly computed `rows` into `relation`: the whole table in a full rebuild,
    else the rows of the ids this run recomputes for `scope_of` (default: `relation` itself) replaced."""
    if plan_.full:
        return f"CREATE OR REPLACE TABLE {relation} AS SELECT * FROM {rows}"
    return (f"DELETE FROM {relation} WHERE {scope_predicate(plan_, scope_of or relation, column)}; "
            f"INSERT INTO {relation} BY NAME SELECT * FROM {rows}")


def new_load_seqs(conn: duckdb.DuckDBPyConnection, table: str) -> list[int]:
    """The loads of `table` this run read (files with content not loaded before)."""
    return [seq for (seq,) in conn.execute("SELECT seq FROM raw.loads WHERE table_name = ? "
                                           "AND run_id = getvariable('run_id') ORDER BY seq", [table]).fetchall()]


def select_changed_ids(conn: duckdb.DuckDBPyConnection, table: str) -> None:
    """Record in staging.affected the ids of core.<table> this run recomputes: those its new files carry,
    and those a change of the table before reaches; note each one's state before (staging.<table>_before)."""
    id_column = quote_ident(ID_COLUMNS[table])
    relation = f"core.{table}"
    new = new_load_seqs(conn, table)
    if new:
        mark(conn, relation, f"SELECT staging.clean({id_column}) FROM ({load_rows_sql(conn, table, new)})")
    upstream = {"deals": ("reps", "rep_id"), "engagements": ("deals", "deal_id")}.get(table)
    if upstream:
        changed, column = upstream
        moved = _moved_sql(changed)
        mark(conn, relation, f"SELECT {id_column} FROM {relation} WHERE {column} IN ({moved})")
        mark(conn, relation, f"SELECT record_id FROM audit.quarantine WHERE table_name = '{table}' "
                             f"AND staging.clean(json_extract_string(raw, '$.{column}')) IN ({moved})")
    conn.execute(f"CREATE OR REPLACE TABLE staging.{table}_before AS "
                 f"SELECT {id_column} AS _delta_id, {_LINK[table]} AS _delta_link, * FROM {relation} "
                 f"WHERE {id_column} IN ({affected_sql(relation)})")


def _moved_sql(table: str) -> str:
    """SQL for the ids of core.<table> this run loaded, dropped or gave another link (a deal's map)."""
    id_column = quote_ident(ID_COLUMNS[table])
    after = (f"SELECT {id_column} AS _delta_id, {_LINK[table]} AS _delta_link FROM core.{table} "
             f"WHERE {id_column} IN ({affected_sql(f'core.{table}')})")
    before = f"SELECT _delta_id, _delta_link FROM staging.{table}_before"
    return f"SELECT _delta_id FROM (({before} EXCEPT {after}) UNION ALL ({after} EXCEPT {before}))"


def build_scope(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    """temp.<table>_scope: the current raw rows of the ids this run recomputes, and the new files' rows
    without an id (they break missing_required); returns its name. Rows of ids the new files carry come
    from those files (the latest load wins); the others are found where core or the quarantine has them."""
    id_column = quote_ident(ID_COLUMNS[table])
    new = new_load_seqs(conn, table)
    relation = f"core.{table}"
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE {table}_located AS
        WITH kept AS (SELECT id FROM ({affected_sql(relation)}) EXCEPT
                      SELECT staging.clean({id_column}) FROM ({load_rows_sql(conn, table, new) if new else
                                                               f'SELECT NULL::VARCHAR AS {id_column}'}))
        SELECT _load_seq, _file, _line FROM {relation} WHERE {id_column} IN (SELECT id FROM kept)
        UNION ALL
        SELECT load_seq, file, line FROM audit.quarantine
        WHERE table_name = '{table}' AND rule <> 'malformed_row' AND record_id IN (SELECT id FROM kept)""")
    old = [seq for (seq,) in conn.execute(f"SELECT DISTINCT _load_seq FROM {table}_located").fetchall()]
    seqs = sorted(set(new) | set(old))
    if seqs:
        conn.execute(f"""CREATE OR REPLACE TEMP TABLE {table}_scope AS
            WITH candidates AS (SELECT *, staging.clean({id_column}) AS _key FROM ({load_rows_sql(conn, table, seqs)})),
            chosen AS (
                SELECT * FROM candidates WHERE list_contains({new}, _load_seq)
                    AND (_key IS NULL OR _key IN ({affected_sql(relation)}))
                UNION ALL BY NAME
                SELECT c.* FROM candidates c SEMI JOIN {table}_located l USING (_load_seq, _file, _line)
            )
            SELECT * EXCLUDE (_key) FROM chosen
            QUALIFY _key IS NULL OR _load_seq = max(_load_seq) OVER (PARTITION BY _key)""")
    else:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {table}_scope AS SELECT * FROM raw.{table} LIMIT 0")
    present = {c for (c,) in conn.execute(f"SELECT column_name FROM (DESCRIBE temp.{table}_scope)").fetchall()}
    for column in input_columns(conn, table):
        if column not in present:  # a column only earlier files had: empty in these rows, as in raw.<table>
            conn.execute(f"ALTER TABLE temp.{table}_scope ADD COLUMN {quote_ident(column)} VARCHAR")
    conn.execute(f"DROP TABLE temp.{table}_located")
    return f"temp.{table}_scope"


def new_rows_sql(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL for the rows of this run's new files of `table` (none: an empty relation of the same lineage columns)."""
    new = new_load_seqs(conn, table)
    if new:
        return load_rows_sql(conn, table, new)
    return (f"SELECT NULL::VARCHAR AS {quote_ident(ID_COLUMNS[table])}, NULL::INTEGER AS _load_seq, "
            "NULL::VARCHAR AS _file LIMIT 0")


def previous_reconciliation(conn: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The run whose audit.loads rows for `table` a delta run carries over: the latest before this one."""
    found = fetch_one(conn, "SELECT run_id FROM audit.loads WHERE table_name = ? AND run_id <> getvariable('run_id') "
                            "ORDER BY loaded_at DESC, rowid DESC LIMIT 1", [table])
    return found[0] if found else None


def note_superseded(conn: duckdb.DuckDBPyConnection, table: str) -> None:
    """temp.<table>_superseded: the rows of earlier files (loaded or quarantined until now) whose ids this
    run's files carry again; call before the quarantine is replaced."""
    id_column = quote_ident(ID_COLUMNS[table])
    new = new_load_seqs(conn, table)
    new_ids = f"SELECT k FROM (SELECT staging.clean({id_column}) AS k FROM ({new_rows_sql(conn, table)})) WHERE k IS NOT NULL"
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE {table}_superseded AS
        SELECT _load_seq AS seq, _file AS file FROM staging.{table}_before
        WHERE _delta_id IN ({new_ids}) AND NOT list_contains({new}, _load_seq)
        UNION ALL
        SELECT load_seq, file FROM audit.quarantine
        WHERE table_name = '{table}' AND rule <> 'malformed_row' AND record_id IN ({new_ids})
            AND NOT list_contains({new}, load_seq)""")


def mark_coverage(conn: duckdb.DuckDBPyConnection) -> None:
    """The deals whose coverage this run recomputes: those recomputed in core.deals, and the deals an
    engagement recomputed in core.engagements belonged to before and belongs to now."""
    mark(conn, COVERAGE, affected_sql("core.deals"))
    mark(conn, COVERAGE, "SELECT deal_id FROM staging.engagements_before")
    mark(conn, COVERAGE, f"SELECT deal_id FROM core.engagements WHERE engagement_id IN ({affected_sql('core.engagements')})")


def mark_titles(conn: duckdb.DuckDBPyConnection) -> None:
    """The unmapped titles this run recounts: those of the engagements it recomputed, before and after, and
    of the engagements of deals whose coverage it recomputed (their outcome or segment may have changed)."""
    unmapped = "role_id IS NULL AND contact_title IS NOT NULL"
    mark(conn, TITLES, f"SELECT contact_title FROM staging.engagements_before WHERE {unmapped}")
    mark(conn, TITLES, f"SELECT contact_title FROM core.engagements WHERE {unmapped} AND deal_id IN ({affected_sql(COVERAGE)})")


def _full_reasons(conn: duckdb.DuckDBPyConnection) -> list[str]:
    if not table_exists(conn, "core", "deals"):
        return ["first run"]
    reasons = []
    if table_exists(conn, "staging", "full_reasons"):
        reasons = [r for (r,) in conn.execute("SELECT DISTINCT reason FROM staging.full_reasons ORDER BY 1").fetchall()]
    new = new_load_seqs(conn, "deals")
    if new:
        current = deal_attributes(conn, _current_deals_sql(conn, new))
        if current != stored_deal_attributes(conn):
            reasons.append("the deal attribute columns changed: "
                           + (", ".join(f"{a.name} {a.data_type}" for a in current) or "none"))
    return reasons


def _current_deals_sql(conn: duckdb.DuckDBPyConnection, new: list[int]) -> str:
    """SQL for the attribute columns of the current deals rows, as text, once the new files are read:
    the loaded and quarantined deals the new files leave alone, and the new files' latest rows."""
    columns = [c for c in input_columns(conn, "deals") if c not in KNOWN_COLUMNS["deals"]]
    stored = {a.source: a.name for a in stored_deal_attributes(conn)}
    new_ids = f"SELECT k FROM (SELECT staging.clean(deal_id) AS k FROM ({load_rows_sql(conn, 'deals', new)})) WHERE k IS NOT NULL"
    loaded = ", ".join(f"{quote_ident(stored[c])}::VARCHAR AS {quote_ident(c)}" if c in stored
                       else f"NULL::VARCHAR AS {quote_ident(c)}" for c in columns)
    quarantined = ", ".join(f"json_extract_string(raw, {quote_literal(json_path(c))}) AS {quote_ident(c)}"
                            for c in columns)
    present = {c for (cs,) in conn.execute("SELECT columns FROM raw.loads WHERE list_contains(?, seq)", [new]).fetchall()
               for c in cs}
    fresh = ", ".join(quote_ident(c) if c in present else f"NULL::VARCHAR AS {quote_ident(c)}" for c in columns)
    if not columns:
        return "(SELECT 1 LIMIT 0)"
    return f"""(
        SELECT {loaded} FROM core.deals WHERE deal_id NOT IN ({new_ids})
        UNION ALL
        SELECT {quarantined} FROM audit.quarantine WHERE table_name = 'deals' AND rule <> 'malformed_row'
            AND (record_id IS NULL OR record_id NOT IN ({new_ids}))
        UNION ALL
        (SELECT {fresh} FROM ({load_rows_sql(conn, 'deals', new)})
         QUALIFY staging.clean(deal_id) IS NULL OR _load_seq = max(_load_seq) OVER (PARTITION BY staging.clean(deal_id))))"""

