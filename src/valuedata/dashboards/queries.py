"""What the dashboards read: the queries of sql/dashboards/, each returning a small polars frame whatever the data size.

The pages read the schema the pipeline publishes. `WarehouseReader` keeps two temporary tables on its connection
(dash_deals, dash_items: see their SQL files), and `dimensions` adds the view the page filters read
(filtered_deals); the warehouse itself is never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl

from valuedata.dashboards import limits
from valuedata.warehouse.sql import quote_literal, run_sql, sql_text

OTHER_SEGMENTS = "Other segments"
OTHER_TEAMS = "Other teams"
NO_TEAM = "(no team)"
ALL = "all"


def read(conn: duckdb.DuckDBPyConnection, query: str, **params: object) -> pl.DataFrame:
    """The result of sql/dashboards/<query>.sql, run with its named parameters ($name), as a polars frame."""
    return conn.sql(sql_text(f"dashboards/{query}.sql"), params=params or None).pl()


class WarehouseReader:
    """A connection to a published (or staging) warehouse with the dashboards' temporary tables on it.

    `deals`: how many deals the warehouse holds.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self.deals = conn.execute(sql_text("dashboards/dash_deals.sql"), {"no_team": NO_TEAM}).fetchone()[0]
        run_sql(conn, "dashboards/dash_items.sql")

    def frame(self, query: str, **params: object) -> pl.DataFrame:
        """The result of sql/dashboards/<query>.sql (see `read`)."""
        return read(self.conn, query, **params)


@dataclass(frozen=True)
class Period:
    """A filter period: [start, end) in deal dates."""

    id: str
    label: str
    start: date | None
    end: date | None


@dataclass(frozen=True)
class Dimensions:
    """The values the page filters offer."""

    segments: list[str]
    teams: list[str]
    periods: list[Period]
    latest: date | None


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def shift_months(d: date, n: int) -> date:
    """The first day of the month n months after d's month (n may be negative)."""
    months = d.year * 12 + d.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def _shift_quarters(d: date, n: int) -> date:
    return shift_months(d, 3 * n)


def quarter_label(d: date) -> str:
    """'2026 Q1' for any date in that quarter."""
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


def periods_for(latest: date | None) -> list[Period]:
    """All time, the latest quarter, the one before and the last four, relative to the latest deal date."""
    out = [Period(ALL, "All time", None, None)]
    if latest is None:
        return out
    q0 = _quarter_start(latest)
    q1 = _shift_quarters(q0, -1)
    nxt = _shift_quarters(q0, 1)
    return out + [Period("q0", f"Latest quarter ({quarter_label(q0)})", q0, nxt),
                  Period("q1", f"Quarter before ({quarter_label(q1)})", q1, q0),
                  Period("4q", f"Last 4 quarters ({quarter_label(_shift_quarters(q0, -3))} – {quarter_label(q0)})",
                         _shift_quarters(q0, -3), nxt)]


def _sql_list(values: list[str]) -> str:
    """A SQL list literal of strings (each value quoted, so any text is safe)."""
    return "[" + ", ".join(quote_literal(v) for v in values) + "]::VARCHAR[]"


def _capped(values: list[str], cap: int, other: str) -> list[str]:
    return values[:cap] + ([other] if len(values) > cap else [])


def dimensions(wh: WarehouseReader) -> Dimensions:
    """Segments and teams by deal count (capped), periods relative to the latest deal date; defines the
    filtered_deals view, in which segments and teams beyond the caps are pooled."""
    segments = _capped(wh.frame("segments_by_deals")["segment"].to_list(), limits.MAX_SEGMENTS, OTHER_SEGMENTS)
    teams = _capped(wh.frame("teams_by_deals")["team"].to_list(), limits.MAX_TEAMS, OTHER_TEAMS)
    latest = wh.frame("latest_deal_date").item()
    run_sql(wh.conn, "dashboards/filtered_deals.sql", segments=_sql_list(segments), teams=_sql_list(teams),
            other_segments=quote_literal(OTHER_SEGMENTS), other_teams=quote_literal(OTHER_TEAMS))
    return Dimensions(segments, teams, periods_for(latest), latest)


def headline_counts(wh: WarehouseReader, dims: Dimensions) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The overview cards for every (period, segment, team) of the filters ('all' for no filter).

    Returns (counts: period, segment, team, deals, closed, won, open, reps; open amounts: the same keys,
    currency, amount and deals — one row per currency with open deals, never summed across currencies).
    """
    rows = wh.frame("headline_counts", periods=[p.id for p in dims.periods], starts=[p.start for p in dims.periods],
                    ends=[p.end for p in dims.periods], all=ALL)
    keys = ["period", "segment", "team"]
    counts = rows.filter(~pl.col("by_currency")).select(*keys, "deals", "closed", "won", "open", "reps")
    amounts = rows.filter(pl.col("by_currency") & pl.col("currency").is_not_null() & (pl.col("open") > 0)) \
        .select(*keys, "currency", pl.col("open_amount").alias("amount"), pl.col("open").alias("deals"))
    return counts, amounts


def quarantine_counts(wh: WarehouseReader) -> pl.DataFrame:
    """Rows audit.quarantine holds now, per (file, rule), most first, capped; `total` carries the overall count."""
    return wh.frame("quarantine_counts", max_rows=limits.MAX_QUARANTINE_ROWS)


def unmapped_titles(wh: WarehouseReader) -> pl.DataFrame:
    """The most frequent contact titles that matched no role, overall (segment 'all') and per capped segment."""
    return wh.frame("unmapped_titles", all=ALL, max_titles=limits.MAX_UNMAPPED_TITLES)


def scorecard(wh: WarehouseReader) -> pl.DataFrame:
    """rep_scorecard with names and teams."""
    return wh.frame("rep_scorecard", no_team=NO_TEAM)


def heterogeneity(wh: WarehouseReader) -> dict:
    """The analytics.rep_heterogeneity row (do reps differ beyond chance, and its verdict); {} when not computed."""
    found = wh.frame("rep_heterogeneity")
    return found.row(0, named=True) if not found.is_empty() else {}


def coach_gaps(wh: WarehouseReader) -> pl.DataFrame:
    """The rep_gaps rows to coach on (`coach`: a proven driver, a gap beyond chance, reps differ, enough deals)."""
    return wh.frame("coach_gaps", no_team=NO_TEAM)


def open_deals(wh: WarehouseReader) -> pl.DataFrame:
    """Scored open deals most at risk: amount x (1 - win probability), the top ones overall, per team, per segment.

    `list_rank`, `team_rank`, `segment_rank` decide which deals the chart and the table show.
    """
    return wh.frame("open_deals_at_risk", max_points=limits.MAX_AT_RISK_POINTS,
                    max_per_team=limits.MAX_AT_RISK_PER_TEAM, max_per_segment=limits.MAX_AT_RISK_PER_GROUP)


def map_tables(wh: WarehouseReader) -> dict[str, pl.DataFrame]:
    """The value-map tables: items, roles, maps, links."""
    return {"items": wh.frame("value_map_items"), "roles": wh.frame("value_map_roles"),
            "maps": wh.frame("value_maps"), "links": wh.frame("value_map_links")}


def drill_down(wh: WarehouseReader, drivers: list[tuple[str, str, str]],
               rep_ids: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """The deals behind drivers and reps, each group's full counts, and whether every deal is listed.

    A driver (segment, kind, item_id) groups the deals of that segment (every segment for '*') that covered
    the item; a rep groups their deals. Up to limits.DRILL_ALL_DEALS deals in the warehouse, every deal is
    listed; above, a bounded sample: each group's DRILL_PER_OUTCOME largest won and lost deals (and open ones,
    for reps). Returns (deals: one row per listed deal with its covered items, groups: group_key, won, lost,
    open, complete).
    """
    segments, kinds, items = ([list(x) for x in zip(*drivers)] if drivers else ([], [], []))
    groups = wh.frame("drill_down_groups", segments=segments, kinds=kinds, items=items, rep_ids=rep_ids,
                      per_outcome=limits.DRILL_PER_OUTCOME)
    complete = wh.deals <= limits.DRILL_ALL_DEALS
    picked = None if complete else sorted({d for col in ("top_won", "top_lost", "top_open")
                                           for ids in groups[col].to_list() for d in ids or []})
    deals = wh.frame("drill_down_deals", picked=picked, no_team=NO_TEAM)
    return deals, groups.select("group_key", "won", "lost", "open"), complete


def period_bounds(period: Period) -> tuple[str | None, str | None]:
    """ISO start and end (exclusive) of a period, for the browser."""
    return (period.start.isoformat() if period.start else None,
            period.end.isoformat() if period.end else None)


def axis_range(period: Period) -> list[str] | None:
    """A date-axis range showing the points of a period (points sit at the start of their month/quarter)."""
    if period.start is None or period.end is None:
        return None
    return [(period.start - timedelta(days=20)).isoformat(), (period.end - timedelta(days=10)).isoformat()]
