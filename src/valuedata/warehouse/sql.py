"""Run the project's SQL files: one relation per file, rendered with a few named placeholders."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import duckdb

_PACKAGED_SQL = Path(__file__).resolve().parents[1] / "sql"  # inside a built wheel
SQL_DIR = _PACKAGED_SQL if _PACKAGED_SQL.is_dir() else Path(__file__).resolve().parents[3] / "sql"
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_0-9]+)\s*\}\}")


@cache
def sql_text(relative: str) -> str:
    """The text of `sql/<relative>`, e.g. `core/deals.sql`."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def render(relative: str, **values: str) -> str:
    """The SQL of a file with its `{{ name }}` placeholders filled; a missing value is a bug, so it raises."""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"sql/{relative} needs a value for {{{{ {name} }}}}")
        return values[name]

    return _PLACEHOLDER.sub(fill, sql_text(relative))


def run_sql(conn: duckdb.DuckDBPyConnection, relative: str, **values: str) -> None:
    """Execute one SQL file against `conn`."""
    conn.execute(render(relative, **values))


def quote_ident(name: str) -> str:
    """A column or table name quoted for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A string quoted as a DuckDB literal."""
    return "'" + value.replace("'", "''") + "'"


def fetch_one(conn: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> tuple | None:
    """The first row of a query (reading the whole result, so no unfinished result stays on `conn`)."""
    rows = conn.execute(query, params or []).fetchall()
    return rows[0] if rows else None


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether the connection's own database holds the table schema.table."""
    return fetch_one(conn, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
                           "AND database_name = current_database()", [schema, table])[0] > 0


def table_comment(relative: str) -> str:
    """The text of the COMMENT ON TABLE in sql/<relative>: what the relation holds, in one place."""
    found = re.search(r"COMMENT ON TABLE \S+ IS '((?:[^']|'')*)'", sql_text(relative))
    if found is None:
        raise ValueError(f"sql/{relative} has no COMMENT ON TABLE")
    return found.group(1).replace("''", "'")
