"""Read-only queries against the published warehouse, printed for people or machines."""

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
from valuedata.warehouse.lifecycle import connect_read_only


def print_query(warehouse: Path, query: str, fmt: str, limit: int, console: Console) -> None:
    """Run `query` read-only and print it as a table, CSV or JSON lines."""
    with connect_read_only(warehouse) as conn:
        try:
            cursor = conn.execute(query)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            raise ValuedataError(f"the query failed: {str(exc).strip().splitlines()[0]}\n"
                                 "list the relations with: valuedata sql \"SHOW ALL TABLES\"") from None
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


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)
