"""The analyses as warehouse tables: read their inputs from DuckDB, compute, write them back."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from valuedata.analysis.drivers import MODEL_INPUTS, compute_drivers
from valuedata.analysis.playbook import build_playbook, build_value_hierarchy
from valuedata.analysis.reps import REP_TABLES, RepAnalyses
from valuedata.analysis.scoring import OPEN_DEAL_SCORES_SCHEMA, score_open_deals
from valuedata.analysis.stored_models import load_models, save_models
from valuedata.ingest import delta
from valuedata.vocabulary import CLOSED_OUTCOMES
from valuedata.warehouse.sql import fetch_one, quote_ident, quote_literal, run_sql, sql_text, table_exists

FIT_TABLES = ("driver_effects", "model_quality")
REP_INPUTS = [*MODEL_INPUTS, "rep_id", "key_role_coverage"]  # the deal columns the rep tables read
SCORED_WITH = "models.open_deal_scores_models"  # when the models analytics.open_deal_scores was scored with were fitted


@dataclass(frozen=True)
class MapTables:
    """The value maps as frames: items, roles and links."""

    items: pl.DataFrame
    roles: pl.DataFrame
    links: pl.DataFrame

    @classmethod
    def read(cls, conn: duckdb.DuckDBPyConnection) -> "MapTables":
        return cls(conn.sql("SELECT * FROM core.value_map_items").pl(),
                   conn.sql("SELECT * FROM core.value_map_roles").pl(),
                   conn.sql("SELECT * FROM core.value_map_links").pl())


def attribute_columns(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The deal attributes the models use as controls (every extra column of deals.csv)."""
    return [name for (name,) in conn.execute("SELECT name FROM core.deal_attributes ORDER BY name").fetchall()]


def modelling_deals(conn: duckdb.DuckDBPyConnection, outcomes: tuple[str, ...] | None = None,
                    columns: list[str] | None = None, scope: str = "TRUE") -> pl.DataFrame:
    """analytics.deal_coverage (all its columns, or the given ones) with each deal's attribute columns: the
    frame every model reads; only deals with one of `outcomes` when given, and within `scope` (a condition on
    `c.deal_id`)."""
    extra = "".join(f", d.{quote_ident(a)}" for a in attribute_columns(conn))
    chosen = ", ".join(f"c.{quote_ident(c)}" for c in columns) if columns else "c.*"
    where = f" AND c.outcome IN ({', '.join(quote_literal(o) for o in outcomes)})" if outcomes else ""
    return conn.sql(f"SELECT {chosen}{extra} FROM analytics.deal_coverage c JOIN core.deals d USING (deal_id) "
                    f"WHERE {scope}{where}").pl()


def fit_win_models(conn: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """Fit the adjusted win models (one per segment), store them in models.segment_models, and return
    the fit's own tables: driver_effects and model_quality."""
    maps = MapTables.read(conn)
    drivers, quality, models = compute_drivers(modelling_deals(conn, columns=MODEL_INPUTS), maps.items, maps.roles,
                                               attribute_columns(conn))  # handed over: freed once the fits start
    save_models(conn, models, quality)
    return {"driver_effects": drivers, "model_quality": quality}


def write_open_deal_scores(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """analytics.open_deal_scores: today's open deals scored by the stored models; returns (deals scored now,
    rows of the table). A delta run scoring with the models the table was last scored with rescores only the
    deals whose coverage it recomputed (no other deal's inputs moved) and keeps the others' rows: a nightly run at
    1M deals scores 1,000 deals instead of 150,000."""
    fitted = fetch_one(conn, "SELECT max(fitted_at) FROM models.segment_models")[0] \
        if table_exists(conn, "models", "segment_models") else None
    plan = delta.decided_plan(conn)
    if not plan.full and not _scored_with(conn, fitted):
        plan = delta.Plan(True, "the models changed since the open deals were scored")
    maps = MapTables.read(conn)
    deals = modelling_deals(conn, ("open",), scope=delta.scope_predicate(plan, delta.COVERAGE, "c.deal_id"))
    conn.register("open_deal_scores_frame", score_open_deals(deals, load_models(conn), maps.items, maps.roles))
    run_sql(conn, "analytics/open_deal_scores.sql", write=delta.write_statement(
        plan, "analytics.open_deal_scores", "deal_id", "open_deal_scores_frame", scope_of=delta.COVERAGE))
    conn.unregister("open_deal_scores_frame")
    conn.execute(f"CREATE OR REPLACE TABLE {SCORED_WITH} AS SELECT ?::TIMESTAMPTZ AS fitted_at", [fitted])
    return deals.height, fetch_one(conn, "SELECT count(*) FROM analytics.open_deal_scores")[0]


def _scored_with(conn: duckdb.DuckDBPyConnection, fitted: object) -> bool:
    """Whether analytics.open_deal_scores, with today's columns, was scored with the models fitted at `fitted`."""
    if fitted is None or not (table_exists(conn, "analytics", "open_deal_scores")
                              and table_exists(conn, *SCORED_WITH.split("."))):
        return False
    columns = [c for (c,) in conn.execute("SELECT column_name FROM (DESCRIBE analytics.open_deal_scores)").fetchall()]
    return (columns == list(OPEN_DEAL_SCORES_SCHEMA)
            and fetch_one(conn, f"SELECT fitted_at FROM {SCORED_WITH}")[0] == fitted)


def rep_frames(conn: duckdb.DuckDBPyConnection, names: tuple[str, ...] = REP_TABLES) -> dict[str, pl.DataFrame]:
    """The named rep tables, from the closed deals scored once by the stored models."""
    maps = MapTables.read(conn)
    analyses = RepAnalyses(modelling_deals(conn, CLOSED_OUTCOMES, REP_INPUTS), load_models(conn), maps.items,
                           maps.roles, conn.sql("SELECT * FROM core.reps").pl())
    return analyses.tables(names)


def playbook_frame(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """analytics.playbook: the article's sales tools ranked by the evidence of analytics.driver_effects."""
    maps = MapTables.read(conn)
    return build_playbook(
        conn.sql("SELECT * FROM analytics.driver_effects").pl(), maps.items, maps.roles, maps.links,
        conn.sql("SELECT deal_id, segment, map_id FROM analytics.deal_coverage").pl(),
        conn.sql(sql_text("analytics/playbook_questions.sql")).pl())


def value_hierarchy_frame(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """analytics.value_hierarchy: the map's hierarchy of value, from analytics.playbook."""
    return build_value_hierarchy(conn.sql("SELECT * FROM analytics.playbook").pl(), MapTables.read(conn).items)


def write_tables(conn: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]) -> None:
    """Write each frame to analytics.<name> through sql/analytics/<name>.sql (which comments it)."""
    for name, frame in frames.items():
        conn.register(f"{name}_frame", frame)
        run_sql(conn, f"analytics/{name}.sql")
        conn.unregister(f"{name}_frame")
