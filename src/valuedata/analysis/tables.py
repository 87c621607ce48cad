"""The analyses as warehouse tables: read their inputs from DuckDB, compute, write them back."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from valuedata.analysis.coaching import coaching_lines
from valuedata.analysis.drivers import compute_drivers
from valuedata.analysis.playbook import build_playbook, build_value_hierarchy
from valuedata.analysis.reps import rep_gaps, rep_heterogeneity, rep_scorecard, rep_thoroughness
from valuedata.analysis.scoring import score_open_deals
from valuedata.errors import ValuedataError
from valuedata.warehouse.sql import fetch_one, quote_ident, run_sql

WIN_MODEL_TABLES = ("driver_effects", "model_quality", "open_deal_scores", "rep_scorecard", "rep_heterogeneity",
                    "rep_gaps", "rep_thoroughness")
PLAYBOOK_TABLES = ("playbook", "value_hierarchy")


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


def modelling_deals(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """analytics.deal_coverage with each deal's attribute columns: the frame every model reads."""
    extra = "".join(f", d.{quote_ident(a)}" for a in attribute_columns(conn))
    return conn.sql(f"SELECT c.*{extra} FROM analytics.deal_coverage c JOIN core.deals d USING (deal_id)").pl()


def win_models(conn: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """One fit of the adjusted models per segment, and everything built on it: drivers, model quality,
    open-deal scores and the rep analyses."""
    deals = modelling_deals(conn)
    maps = MapTables.read(conn)
    reps = conn.sql("SELECT * FROM core.reps").pl()
    drivers, quality, models = compute_drivers(deals, maps.items, maps.roles, attribute_columns(conn))
    scorecard = rep_scorecard(deals, models, maps.items, maps.roles, reps)
    return {
        "driver_effects": drivers,
        "model_quality": quality,
        "open_deal_scores": score_open_deals(deals, models, maps.items, maps.roles),
        "rep_scorecard": scorecard,
        "rep_heterogeneity": rep_heterogeneity(deals, models),
        "rep_gaps": rep_gaps(deals, models, maps.items, maps.roles, scorecard),
        "rep_thoroughness": rep_thoroughness(deals, models),
    }


# Per engagement, the questions asked and issues uncovered that count (CRM fields and trusted notes tags).
ENGAGEMENT_TAGS = """SELECT deal_id, coalesce(list(item_id) FILTER (WHERE kind = 'question'), []) AS questions,
                            coalesce(list(item_id) FILTER (WHERE kind = 'issue'), []) AS issues
                     FROM core.engagement_tags WHERE kind IN ('question', 'issue') GROUP BY engagement_id, deal_id"""


def playbook_frames(conn: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """The evidence-ranked playbook and the hierarchy of value, from analytics.driver_effects."""
    maps = MapTables.read(conn)
    playbook = build_playbook(
        conn.sql("SELECT * FROM analytics.driver_effects").pl(), maps.items, maps.roles, maps.links,
        conn.sql("SELECT deal_id, segment, map_id FROM analytics.deal_coverage").pl(),
        conn.sql(ENGAGEMENT_TAGS).pl())
    return {"playbook": playbook, "value_hierarchy": build_value_hierarchy(playbook, maps.items)}


def write_tables(conn: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]) -> None:
    """Write each frame to analytics.<name> through sql/analytics/<name>.sql (which comments it)."""
    for name, frame in frames.items():
        conn.register(f"{name}_frame", frame)
        run_sql(conn, f"analytics/{name}.sql")
        conn.unregister(f"{name}_frame")


def coaching_verdict(conn: duckdb.DuckDBPyConnection) -> str | None:
    """analytics.rep_heterogeneity's verdict as a sentence: whether reps differ beyond chance, so whether to coach."""
    found = fetch_one(conn, "SELECT verdict FROM analytics.rep_heterogeneity LIMIT 1")
    return found[0][0].upper() + found[0][1:] + "." if found and found[0] else None


def coaching_for(conn: duckdb.DuckDBPyConnection, rep_id: str) -> list[str]:
    """A rep's top gaps in the map's own words, from the published warehouse."""
    maps = MapTables.read(conn)
    scorecard = conn.sql("SELECT * FROM analytics.rep_scorecard").pl()
    if rep_id not in scorecard["rep_id"].to_list():
        known = ", ".join(scorecard["rep_id"].head(12).to_list())
        raise ValuedataError(f"no rep '{rep_id}' on the scorecard; reps include: {known}")
    return coaching_lines(rep_id, scorecard, conn.sql("SELECT * FROM analytics.rep_gaps").pl(),
                          maps.items, maps.roles)
