"""Read-only queries against the published warehouse, printed for people or machines.

`valuedata sql` reads the warehouse and nothing else: one query per call, checked by DuckDB's own
parser; the connection may touch no other file (no COPY, ATTACH, read_csv, INSTALL/LOAD) and its
settings are locked.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import duckdb
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from valuedata.errors import ValuedataError
from valuedata.warehouse.lifecycle import open_current

QUERY_TYPES = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA,
               duckdb.StatementType.CALL}
_LOCKDOWN = "SET enable_external_access = false; SET lock_configuration = true"
_QUERIES = "SELECT (with CTEs, SHOW, DESCRIBE, SUMMARIZE), EXPLAIN, PRAGMA or CALL"


def print_query(warehouse: Path, query: str, fmt: str, limit: int, console: Console) -> None:
    """Run `query` read-only and print it as a table, CSV or JSON lines."""
    checked_query(query)
    with open_current(warehouse) as conn:
        conn.execute(_LOCKDOWN)
        try:
            cursor = conn.execute(query)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            raise ValuedataError(_failure(exc)) from None
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([_plain(v) for v in row] for row in rows)
    elif fmt == "json":
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(columns, row)), default=str) + "\n")
    else:
        table = Table(*(escape(c) for c in columns))
        for row in rows[:limit]:
            table.add_row(*(Text(_plain(v)) for v in row))
        console.print(table)
        shown = min(len(rows), limit)
        console.print(f"{len(rows):,} row(s)" + (f", first {shown} shown (--limit)" if shown < len(rows) else ""))


def checked_query(query: str) -> str:
    """The query if it is exactly one read-only statement; else a ValuedataError saying what was refused."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise ValuedataError(_failure(exc)) from None
    if len(statements) != 1:
        kinds = ", ".join(_kind(s) for s in statements) or "none"
        raise ValuedataError(f"refused: valuedata sql runs exactly one statement per call, this has "
                             f"{len(statements)} ({kinds}); run them one at a time")
    statement = statements[0]
    if statement.type == duckdb.StatementType.SET:
        raise ValuedataError(f"refused: settings cannot be changed in valuedata sql ({_kind(statement)} sets one); "
                             "it reads the warehouse with the settings it was opened with")
    if statement.type not in QUERY_TYPES:
        raise ValuedataError(f"refused: {_kind(statement)} statements are not allowed; valuedata sql is read-only "
                             f"and reads the warehouse only, so it runs one {_QUERIES} query")
    return query


def _kind(statement: duckdb.Statement) -> str:
    """The statement's keyword as written (INSTALL, not LOAD), else its DuckDB type."""
    words = statement.query.split(None, 1)
    return words[0].upper() if words and words[0].isalpha() else statement.type.name


def _failure(exc: duckdb.Error) -> str:
    """A plain message for a failed query, saying why when our own restrictions refused it."""
    first = str(exc).strip().splitlines()[0]
    if isinstance(exc, duckdb.PermissionException):
        return (f"refused: the query reaches outside the warehouse ({first}); valuedata sql reads the warehouse "
                "only: no other files, databases or extensions (write results out with --format csv > FILE)")
    if "configuration has been locked" in first:
        return f"refused: settings cannot be changed in valuedata sql ({first})"
    return f"the query failed: {first}\nlist the relations with: valuedata sql \"SHOW ALL TABLES\""


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)
