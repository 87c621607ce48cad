"""Deal attributes: the extra columns of deals.csv, kept as typed columns of core.deals."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from valuedata.ingest.files import KNOWN_COLUMNS, input_columns
from valuedata.warehouse.sql import fetch_one, quote_ident, run_sql

DEAL_COLUMNS = KNOWN_COLUMNS["deals"] + ("map_id", "_file", "_line", "_load_seq")


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


def deal_attributes(conn: duckdb.DuckDBPyConnection, rows: str = "raw.deals") -> list[DealAttribute]:
    """The extra deal columns, typed DOUBLE when every value of the current rows (`rows`, as text) is a number."""
    extra = [c for c in input_columns(conn, "deals") if c not in KNOWN_COLUMNS["deals"]]
    if not extra:
        return []
    counts = fetch_one(conn, "SELECT " + ", ".join(
        f"count(staging.clean({quote_ident(c)})), count(TRY_CAST(staging.clean({quote_ident(c)}) AS DOUBLE))"
        for c in extra) + f" FROM {rows}")
    attributes = []
    for i, column in enumerate(extra):
        filled, numeric = counts[2 * i], counts[2 * i + 1]
        name = column if column not in DEAL_COLUMNS else f"attr_{column}"
        attributes.append(DealAttribute(name, column, "DOUBLE" if filled and filled == numeric else "VARCHAR"))
    return attributes


def stored_deal_attributes(conn: duckdb.DuckDBPyConnection) -> list[DealAttribute]:
    """The attributes core.deals was built with (core.deal_attributes)."""
    return [DealAttribute(*row) for row in conn.execute(
        "SELECT name, source_column, data_type FROM core.deal_attributes ORDER BY rowid").fetchall()]


def json_path(column: str) -> str:
    """The JSON path of a column of the row as read (audit.quarantine.raw)."""
    return '$."' + column.replace('"', '\\"') + '"'


def record_deal_attributes(conn: duckdb.DuckDBPyConnection, attributes: list[DealAttribute]) -> None:
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
