"""A rep's coaching in the value map's own words: the top gaps to top performers that cost win rate.

Only rep_gaps rows flagged `coach` are coached (a proven driver, a gap beyond chance that costs win rate,
reps differing beyond chance, a rep with enough closed deals). Reps with too few closed deals, and teams
whose reps do not differ, are told so.
"""

from __future__ import annotations

import duckdb
import polars as pl

from valuedata.analysis.features import item_catalogue
from valuedata.errors import ValuedataError
from valuedata.warehouse.sql import fetch_one

TOP_GAPS = 3

DO_MORE = {
    "role": "Meet the {}",
    "value_proposition": "Present: '{}'",
    "issue": "Uncover: '{}'",
    "question": "Ask: '{}'",
}
DO_LESS = {
    "role": "Rely less on the {}",
    "value_proposition": "Present less often: '{}'",
    "issue": "Dwell less on: '{}'",
    "question": "Ask less often: '{}'",
}
DONE = {
    "role": "you met them",
    "value_proposition": "you presented it",
    "issue": "you uncovered it",
    "question": "you asked it",
}
NOTHING_TO_COACH = "no gap to top performers on a proven driver is beyond chance: nothing from the value map to coach"


def coaching_lines(
    rep_id: str,
    scorecard: pl.DataFrame,
    gaps: pl.DataFrame,
    items: pl.DataFrame,
    roles: pl.DataFrame,
    *,
    top: int = TOP_GAPS,
) -> list[str]:
    """Up to `top` coaching lines for a rep, e.g. "Meet the Production Manager: you met them on 12% of
    deals vs 71% for top performers; this costs about 9 points of win rate"."""
    card = scorecard.filter(pl.col("rep_id") == rep_id)
    if card.is_empty():
        return [f"{rep_id} is not on the scorecard: no such rep, or no deals yet"]
    rep = card.row(0, named=True)
    if rep["small_sample"]:
        return [f"not enough closed deals to coach reliably (n={rep['closed_deals']}); "
                "the scorecard shows a shrunk win rate only"]
    lines = [] if rep["reps_differ"] is not False else [_no_difference(rep["heterogeneity_p_value"])]
    chosen = gaps.filter((pl.col("rep_id") == rep_id) & pl.col("coach")).sort("rank").head(top)
    if chosen.is_empty():
        return lines + [NOTHING_TO_COACH]
    words = _words(items, roles)
    return lines + [_line(gap, words.get((gap["kind"], gap["item_id"]), gap["item_id"]))
                    for gap in chosen.iter_rows(named=True)]


def _no_difference(p_value: float | None) -> str:
    shown = f" (p = {p_value:.2g})" if p_value is not None else ""
    return f"reps do not differ in win rate beyond chance{shown}: do not coach on win rate"


def _words(items: pl.DataFrame, roles: pl.DataFrame) -> dict[tuple[str, str], str]:
    """The map's text of each (kind, item_id): role titles, statements, issues and questions."""
    catalogue = item_catalogue(items, roles).unique(["kind", "item_id"], keep="first", maintain_order=True)
    return {(kind, item_id): text for kind, item_id, text in catalogue.select("kind", "item_id", "text").iter_rows()}


def _line(gap: dict, text: str) -> str:
    """One coaching line: the action in the map's words, the two rates and the cost."""
    kind = gap["kind"]
    action = (DO_MORE if gap["rep_rate"] < gap["top_rate"] else DO_LESS)[kind].format(text)
    return (
        f"{action}: {DONE[kind]} on {gap['rep_rate']:.0%} of deals vs {gap['top_rate']:.0%} for top performers; "
        f"this costs about {_points(gap['contribution'])} of win rate"
    )


def _points(contribution: float) -> str:
    """A win-rate fraction in words: 0.091 -> '9 points', 0.006 -> '0.6 points'."""
    points = contribution * 100
    shown = f"{points:.0f}" if points >= 1.5 else f"{points:.1f}"
    return f"{shown} point" + ("" if shown == "1.0" else "s")


def coaching_verdict(conn: duckdb.DuckDBPyConnection) -> str | None:
    """analytics.rep_heterogeneity's verdict as a sentence: whether reps differ beyond chance, so whether to coach."""
    found = fetch_one(conn, "SELECT verdict FROM analytics.rep_heterogeneity LIMIT 1")
    return found[0][0].upper() + found[0][1:] + "." if found and found[0] else None


def coaching_for(conn: duckdb.DuckDBPyConnection, rep_id: str) -> list[str]:
    """A rep's top gaps in the map's own words, from the published warehouse."""
    items, roles = (conn.sql(f"SELECT * FROM core.{table}").pl() for table in ("value_map_items", "value_map_roles"))
    scorecard = conn.sql("SELECT * FROM analytics.rep_scorecard").pl()
    if rep_id not in scorecard["rep_id"].to_list():
        known = ", ".join(scorecard["rep_id"].head(12).to_list())
        raise ValuedataError(f"no rep '{rep_id}' on the scorecard; reps include: {known}")
    return coaching_lines(rep_id, scorecard, conn.sql("SELECT * FROM analytics.rep_gaps").pl(), items, roles)
