"""SQL aggregation for the dashboards: every query returns a small polars frame, whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl

from valuedata.dashboards import limits
from valuedata.warehouse.sql import sql_text

OTHER_SEGMENTS = "Other segments"
OTHER_TEAMS = "Other teams"
NO_TEAM = "(no team)"
ALL = "all"
KIND_COLUMNS = {"role": "roles_engaged", "value_proposition": "value_propositions_presented",
                "issue": "issues_uncovered", "question": "questions_asked"}
_OUTCOME = """CASE WHEN lower(replace(CAST({c} AS VARCHAR), ' ', '')) IN ('won', 'closedwon') THEN 'won'
                   WHEN lower(replace(CAST({c} AS VARCHAR), ' ', '')) IN ('lost', 'closedlost') THEN 'lost'
                   ELSE 'open' END"""


class Warehouse:
    """The relations and columns a warehouse has, and SQL results as polars frames."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self._columns: dict[str, dict[str, str]] = {}
        for schema, table, column, dtype in conn.sql(
                "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_catalog = current_database()").fetchall():
            self._columns.setdefault(f"{schema}.{table}", {})[column] = dtype
        self._counts: dict[str, int] = {}
        self._prepare()

    def _prepare(self) -> None:
        """Per-connection temp tables the queries share: typed deals with teams, and covered items per deal."""
        if self.has("core.deals", "deal_id", "segment", "rep_id", "outcome", "created_at"):
            team = "r.team" if self.has("core.reps", "team") else "NULL"
            join = "LEFT JOIN core.reps r ON r.rep_id = d.rep_id" if self.has("core.reps", "rep_id") else ""
            account = "CAST(d.account_name AS VARCHAR)" if self.has("core.deals", "account_name") else "NULL"
            closed = "CAST(d.closed_at AS DATE)" if self.has("core.deals", "closed_at") else "NULL::DATE"
            amount = "CAST(d.amount AS DOUBLE)" if self.has("core.deals", "amount") else "NULL::DOUBLE"
            currency = "CAST(d.currency AS VARCHAR)" if self.has("core.deals", "currency") else "NULL::VARCHAR"
            self.conn.execute(f"""CREATE OR REPLACE TEMP TABLE dash_deals AS
                SELECT d.deal_id, d.segment, d.rep_id, {_OUTCOME.format(c='d.outcome')} AS outcome, {amount} AS amount,
                       {currency} AS currency,
                       CAST(d.created_at AS DATE) AS created_at, {closed} AS closed_at,
                       coalesce(CAST({team} AS VARCHAR), '{NO_TEAM}') AS team, {account} AS account_name
                FROM core.deals d {join}""")
            self._columns["temp.dash_deals"] = {}
        parts = [f"SELECT deal_id, '{kind}' AS kind, unnest({col}) AS item_id FROM analytics.deal_coverage"
                 for kind, col in KIND_COLUMNS.items()
                 if (self.column_type("analytics.deal_coverage", col) or "").endswith("[]")]
        if parts:
            self.conn.execute("CREATE OR REPLACE TEMP TABLE dash_items AS " + " UNION ALL ".join(parts))
            self._columns["temp.dash_items"] = {}

    def has(self, relation: str, *columns: str) -> bool:
        """Whether `relation` exists with every one of `columns`."""
        found = self._columns.get(relation)
        return found is not None and all(c in found for c in columns)

    def column_type(self, relation: str, column: str) -> str | None:
        """The SQL type of a column, or None when it is absent."""
        return self._columns.get(relation, {}).get(column)

    def ready(self, relation: str, *columns: str) -> bool:
        """Whether `relation` exists with `columns` and holds at least one row."""
        if not self.has(relation, *columns):
            return False
        if relation not in self._counts:
            self._counts[relation] = self.scalar(f"SELECT count(*) FROM {relation}")
        return self._counts[relation] > 0

    def scalar(self, sql: str) -> object:
        """The single value a query returns."""
        return self.conn.sql(sql).fetchall()[0][0]

    def frame(self, sql: str, params: list | None = None) -> pl.DataFrame:
        """Run a query and return its (small) result."""
        return self.conn.sql(sql, params=params).pl()

    def execute(self, sql: str, params: list | None = None) -> None:
        """Run a statement (temp tables only: the warehouse itself is never written)."""
        self.conn.execute(sql, params)

    def opt(self, relation: str, column: str, alias: str, cast: str = "DOUBLE") -> str:
        """`alias.column`, or a typed NULL when the column does not exist (tolerates older analyses)."""
        if self.has(relation, column):
            return f"CAST({alias}.{column} AS {cast}) AS {column}"
        return f"CAST(NULL AS {cast}) AS {column}"


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


def deals_cte(wh: Warehouse, dims: Dimensions | None = None) -> str:
    """A `deals` CTE body: typed deals with their rep's team; segments and teams capped when `dims` is given."""
    if dims is None:
        return "SELECT * FROM dash_deals"
    return f"""SELECT * REPLACE (
                 CASE WHEN list_contains({_sql_list(dims.segments)}, segment) THEN segment
                      ELSE '{OTHER_SEGMENTS}' END AS segment,
                 CASE WHEN list_contains({_sql_list(dims.teams)}, team) THEN team ELSE '{OTHER_TEAMS}' END AS team)
               FROM dash_deals"""


def _sql_list(values: list[str]) -> str:
    """A SQL list literal of strings (values are quoted, so any text is safe)."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::VARCHAR[]"


def dimensions(wh: Warehouse) -> Dimensions:
    """Segments and teams by deal count (capped), periods relative to the latest deal date."""
    if not wh.has("temp.dash_deals"):
        return Dimensions([], [], periods_for(None), None)
    base = deals_cte(wh)
    seg = wh.frame(f"WITH deals AS ({base}) SELECT segment, count(*) n FROM deals WHERE segment IS NOT NULL "
                   "GROUP BY segment ORDER BY n DESC, segment")
    teams = wh.frame(f"WITH deals AS ({base}) SELECT team, count(*) n FROM deals GROUP BY team "
                     "ORDER BY n DESC, team")
    latest = wh.scalar(f"WITH deals AS ({base}) SELECT max(greatest(created_at, coalesce(closed_at, created_at))) "
                       "FROM deals")
    seg_list = seg["segment"].to_list()
    team_list = teams["team"].to_list()
    segments = seg_list[:limits.MAX_SEGMENTS] + ([OTHER_SEGMENTS] if len(seg_list) > limits.MAX_SEGMENTS else [])
    teams_out = team_list[:limits.MAX_TEAMS] + ([OTHER_TEAMS] if len(team_list) > limits.MAX_TEAMS else [])
    return Dimensions(segments, teams_out, periods_for(latest), latest)


def closed_by_month(wh: Warehouse, dims: Dimensions) -> pl.DataFrame:
    """Closed deals per (team, segment, month of closed_at): won and closed counts."""
    return wh.frame(f"""WITH deals AS ({deals_cte(wh, dims)})
        SELECT team, segment, date_trunc('month', closed_at)::DATE AS month,
               count(*) FILTER (WHERE outcome = 'won') AS won, count(*) AS closed
        FROM deals WHERE outcome IN ('won', 'lost') AND closed_at IS NOT NULL
        GROUP BY ALL ORDER BY month""")


def pipeline_by_quarter(wh: Warehouse, dims: Dimensions) -> pl.DataFrame:
    """Deals per (team, segment, quarter, outcome): won/lost by quarter closed, open by quarter created."""
    return wh.frame(f"""WITH deals AS ({deals_cte(wh, dims)})
        SELECT team, segment, outcome, {_DEAL_QUARTER} AS quarter, count(*) AS deals
        FROM deals GROUP BY ALL""")


_DEAL_QUARTER = """date_trunc('quarter', CASE WHEN outcome = 'open' THEN created_at
                                              ELSE coalesce(closed_at, created_at) END)::DATE"""


def headline_counts(wh: Warehouse, dims: Dimensions) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The overview cards for every (period, segment, team) of the filters ('all' for no filter).

    Closed deals count in the quarter they closed, open deals in the one they were created (as in the pipeline
    chart). Returns (counts: period, segment, team, deals, closed, won, open, reps; open amounts: the same keys
    and currency, amount — one row per currency, never summed across currencies).
    """
    ids = [p.id for p in dims.periods]
    starts = [p.start for p in dims.periods]
    ends = [p.end for p in dims.periods]
    base = f"""WITH deals AS ({deals_cte(wh, dims)}),
        periods AS (SELECT unnest($1::VARCHAR[]) AS period, unnest($2::DATE[]) AS p_start, unnest($3::DATE[]) AS p_end),
        dated AS (SELECT d.*, p.period FROM deals d JOIN periods p
                  ON p.p_start IS NULL OR ({_DEAL_QUARTER} >= p.p_start AND {_DEAL_QUARTER} < p.p_end))"""
    keys = "period, coalesce(segment, '{all}') AS segment, coalesce(team, '{all}') AS team".format(all=ALL)
    sets = "GROUPING SETS ((period{c}), (period, segment{c}), (period, team{c}), (period, segment, team{c}))"
    counts = wh.frame(f"""{base}
        SELECT {keys}, count(*) AS deals, count(*) FILTER (WHERE outcome <> 'open') AS closed,
               count(*) FILTER (WHERE outcome = 'won') AS won, count(*) FILTER (WHERE outcome = 'open') AS open,
               count(DISTINCT rep_id) AS reps
        FROM dated GROUP BY {sets.format(c="")}""", [ids, starts, ends])
    amounts = wh.frame(f"""{base}
        SELECT {keys}, currency, coalesce(sum(amount), 0) AS amount, count(*) AS deals
        FROM dated WHERE outcome = 'open' AND currency IS NOT NULL
        GROUP BY {sets.format(c=", currency")}""", [ids, starts, ends])
    return counts, amounts


def coverage_bins(wh: Warehouse, dims: Dimensions) -> pl.DataFrame:
    """Closed deals per (team, segment, quarter closed, key-player coverage bin): won and closed counts.

    Bins: 0 = none, 1 = 1-25%, 2 = 26-50%, 3 = 51-75%, 4 = 76-99%, 5 = every key player.
    """
    if not wh.ready("analytics.deal_coverage", "deal_id", "key_role_coverage"):
        return pl.DataFrame()
    return wh.frame(f"""WITH deals AS ({deals_cte(wh, dims)})
        SELECT d.team, d.segment, date_trunc('quarter', d.closed_at)::DATE AS quarter,
               CASE WHEN c.key_role_coverage <= 0 THEN 0 WHEN c.key_role_coverage >= 1 THEN 5
                    ELSE least(4, 1 + floor(c.key_role_coverage * 4 - 1e-9))::INT END AS bin,
               count(*) FILTER (WHERE d.outcome = 'won') AS won, count(*) AS closed
        FROM analytics.deal_coverage c JOIN deals d USING (deal_id)
        WHERE d.outcome IN ('won', 'lost') AND c.key_role_coverage IS NOT NULL
        GROUP BY ALL""")


def latest_deal_date(wh: Warehouse) -> date | None:
    """The latest date on any deal (created or closed)."""
    if not wh.has("temp.dash_deals"):
        return None
    return wh.scalar("SELECT max(greatest(created_at, coalesce(closed_at, created_at))) FROM dash_deals")


def latest_loads(wh: Warehouse) -> pl.DataFrame:
    """audit.loads rows of the latest run (the one with the latest loaded_at)."""
    if not wh.ready("audit.loads", "run_id", "loaded_at"):
        return pl.DataFrame()
    return wh.frame("""SELECT file, rows_read, rows_loaded, rows_quarantined, loaded_at, run_id
        FROM audit.loads WHERE run_id = (SELECT arg_max(run_id, loaded_at) FROM audit.loads)
        ORDER BY file""")


def quarantine_counts(wh: Warehouse) -> pl.DataFrame:
    """Rows audit.quarantine holds now, per (file, rule), most first, capped; `total` carries the overall count."""
    if not wh.ready("audit.quarantine", "file", "rule"):
        return pl.DataFrame()
    return wh.frame(f"""SELECT file, rule, count(*) AS rows, sum(count(*)) OVER () AS total
        FROM audit.quarantine GROUP BY ALL ORDER BY rows DESC, file, rule
        LIMIT {limits.MAX_QUARANTINE_ROWS}""")


def unmapped_titles(wh: Warehouse, dims: Dimensions) -> pl.DataFrame:
    """The most frequent contact titles that matched no role, overall (segment 'all') and per capped segment."""
    if not wh.ready("audit.unmapped_titles", "title", "engagements"):
        return pl.DataFrame()
    return wh.frame(f"""WITH deals AS ({deals_cte(wh, dims)}),
        counted AS (
          SELECT coalesce(d.segment, '{ALL}') AS segment, e.contact_title AS title, count(*) AS engagements
          FROM core.engagements e JOIN deals d USING (deal_id)
          WHERE e.contact_title IN (SELECT title FROM audit.unmapped_titles) AND e.role_id IS NULL
          GROUP BY GROUPING SETS ((e.contact_title), (d.segment, e.contact_title)))
        SELECT * FROM counted
        QUALIFY row_number() OVER (PARTITION BY segment ORDER BY engagements DESC, title)
                <= {limits.MAX_UNMAPPED_TITLES}
        ORDER BY segment, engagements DESC, title""")


def driver_effects(wh: Warehouse) -> pl.DataFrame:
    """Every driver_effects row with numeric columns as DOUBLE."""
    rel = "analytics.driver_effects"
    if not wh.ready(rel, "segment", "kind", "item_id"):
        return pl.DataFrame()
    num = ["deals_with", "deals_without", "win_rate_with", "win_rate_without", "lift", "lift_ci_low",
           "lift_ci_high", "p_value", "q_value", "odds_ratio", "or_ci_low", "or_ci_high"]
    cols = ", ".join(wh.opt(rel, c, "e") for c in num)
    words = ", ".join(wh.opt(rel, c, "e", "VARCHAR") for c in ["status", "note"])
    return wh.frame(f"""SELECT e.segment, e.kind, e.item_id, {cols}, {wh.opt(rel, 'significant', 'e', 'BOOLEAN')},
        {words} FROM {rel} e ORDER BY e.segment, e.kind, e.item_id""")


def notes_share(wh: Warehouse) -> pl.DataFrame:
    """Per (segment, kind, item_id) of driver_effects: share of the deals with it known only from call notes."""
    return wh.frame(sql_text("dashboards/notes_share.sql"))


def notes_engagements(wh: Warehouse) -> dict:
    """Engagements, with notes, tagged from notes; items read from notes and items measured."""
    return wh.frame(sql_text("dashboards/notes_engagements.sql")).row(0, named=True)


def playbook(wh: Warehouse) -> pl.DataFrame:
    """Playbook evidence per (segment, kind, item_id): best odds ratio and q-value."""
    rel = "analytics.playbook"
    if not wh.ready(rel, "segment", "kind", "item_id"):
        return pl.DataFrame()
    return wh.frame(f"""SELECT p.segment, p.kind, p.item_id, {wh.opt(rel, 'odds_ratio', 'p')},
        {wh.opt(rel, 'q_value', 'p')} FROM {rel} p""")


def model_quality(wh: Warehouse) -> pl.DataFrame:
    """The latest model fit per segment."""
    rel = "analytics.model_quality"
    if not wh.ready(rel, "segment"):
        return pl.DataFrame()
    order = "ORDER BY m.fitted_at DESC" if wh.has(rel, "fitted_at") else ""
    cols = ", ".join(wh.opt(rel, c, "m") for c in ["closed_deals", "auc_cv", "brier_cv", "baseline_brier",
                                                   "auc_cv_explanatory"])
    words = ", ".join(wh.opt(rel, c, "m", "VARCHAR") for c in ["cv_scheme", "scoring_model", "note"])
    return wh.frame(f"SELECT m.segment, {cols}, {words}, {wh.opt(rel, 'better_than_baseline', 'm', 'BOOLEAN')} "
                    f"FROM {rel} m QUALIFY row_number() OVER "
                    f"(PARTITION BY m.segment {order}) = 1")


def _reps_join(wh: Warehouse, alias: str) -> tuple[str, str]:
    """(select list, join) giving rep name and team for `alias.rep_id`."""
    name = "r.name" if wh.has("core.reps", "name") else "NULL"
    team = "r.team" if wh.has("core.reps", "team") else "NULL"
    join = f"LEFT JOIN core.reps r ON r.rep_id = {alias}.rep_id" if wh.has("core.reps", "rep_id") else ""
    return (f"coalesce(CAST({name} AS VARCHAR), {alias}.rep_id) AS rep_name, "
            f"coalesce(CAST({team} AS VARCHAR), '{NO_TEAM}') AS team"), join


def scorecard(wh: Warehouse) -> pl.DataFrame:
    """rep_scorecard with names and teams; optional columns (intervals, shrunk rate ...) null when absent."""
    rel = "analytics.rep_scorecard"
    if not wh.ready(rel, "rep_id", "win_rate"):
        return pl.DataFrame()
    sel, join = _reps_join(wh, "s")
    cols = ", ".join(wh.opt(rel, c, "s") for c in [
        "closed_deals", "wins", "win_rate", "win_rate_shrunk", "expected_win_rate", "mix_win_rate",
        "key_role_coverage", "win_rate_ci_low", "win_rate_ci_high", "win_rate_shrunk_ci_low",
        "win_rate_shrunk_ci_high"])
    flags = ", ".join(wh.opt(rel, c, "s", "BOOLEAN") for c in ["small_sample", "reps_differ"])
    return wh.frame(f"SELECT s.rep_id, {sel}, {cols}, {flags} FROM {rel} s {join} ORDER BY s.rep_id")


def heterogeneity(wh: Warehouse) -> dict:
    """The one analytics.rep_heterogeneity row (do reps differ beyond chance, and its verdict); {} when absent."""
    if not wh.ready("analytics.rep_heterogeneity", "verdict"):
        return {}
    return wh.frame("SELECT * FROM analytics.rep_heterogeneity LIMIT 1").row(0, named=True)


def rep_gaps(wh: Warehouse) -> pl.DataFrame:
    """The rep_gaps rows to coach on (`coach`: a proven driver, a gap beyond chance, reps differ, enough deals)."""
    rel = "analytics.rep_gaps"
    if not wh.ready(rel, "rep_id", "kind", "item_id", "contribution", "coach"):
        return pl.DataFrame()
    sel, join = _reps_join(wh, "g")
    cols = ", ".join(wh.opt(rel, c, "g") for c in ["rep_rate", "top_rate", "contribution"])
    return wh.frame(f"SELECT g.rep_id, {sel}, g.kind, g.item_id, {cols} FROM {rel} g {join} "
                    "WHERE g.coach AND g.contribution IS NOT NULL")


def open_deals(wh: Warehouse, dims: Dimensions) -> pl.DataFrame:
    """Scored open deals most at risk: amount x (1 - win probability), the top ones overall, per team, per segment.

    `chart_rank` ranks deals within their team for the scatter; `list_rank`, `team_rank`, `segment_rank`
    decide which deals the table lists.
    """
    rel = "analytics.open_deal_scores"
    if not wh.ready(rel, "deal_id", "win_probability"):
        return pl.DataFrame()
    sel, join = _reps_join(wh, "s")
    account = "CAST(d.account_name AS VARCHAR)" if wh.has("core.deals", "account_name") else "NULL"
    seg = (f"CASE WHEN list_contains({_sql_list(dims.segments)}, s.segment) THEN s.segment "
           f"ELSE '{OTHER_SEGMENTS}' END")
    opt = ", ".join(wh.opt(rel, c, "s", "VARCHAR") for c in ["top_positive", "top_negative", "next_best_action",
                                                                "note"])
    cap = limits.MAX_AT_RISK_PER_GROUP
    return wh.frame(f"""WITH scored AS (
          SELECT s.deal_id, s.rep_id, {sel}, {seg} AS segment, {account} AS account_name,
                 CAST(s.win_probability AS DOUBLE) AS win_probability, CAST(d.amount AS DOUBLE) AS amount,
                 CAST(d.currency AS VARCHAR) AS currency, CAST(d.created_at AS DATE) AS created_at, {opt},
                 {wh.opt(rel, 'expected_lift', 's')},
                 coalesce(CAST(d.amount AS DOUBLE), 0) * (1 - CAST(s.win_probability AS DOUBLE)) AS value_at_risk,
                 m.better_than_baseline
          FROM {rel} s LEFT JOIN core.deals d ON d.deal_id = s.deal_id {join}
               LEFT JOIN (SELECT segment, any_value(better_than_baseline) AS better_than_baseline
                          FROM analytics.model_quality GROUP BY segment) m ON m.segment = s.model_segment
        ), capped AS (
          SELECT * REPLACE (CASE WHEN list_contains({_sql_list(dims.teams)}, team) THEN team
                                 ELSE '{OTHER_TEAMS}' END AS team) FROM scored
        ), ranked AS (
          SELECT *, row_number() OVER (ORDER BY value_at_risk DESC, deal_id) AS list_rank,
                 row_number() OVER (PARTITION BY team ORDER BY value_at_risk DESC, deal_id) AS team_rank,
                 row_number() OVER (PARTITION BY segment ORDER BY value_at_risk DESC, deal_id) AS segment_rank
          FROM capped
        )
        SELECT * FROM ranked
        WHERE list_rank <= {limits.MAX_AT_RISK_POINTS} OR team_rank <= {limits.MAX_AT_RISK_PER_TEAM}
              OR segment_rank <= {cap}
        ORDER BY value_at_risk DESC, deal_id""")


def open_bands(wh: Warehouse, dims: Dimensions) -> pl.DataFrame:
    """All scored open deals per (team, segment, win-probability decile): how many (amounts are not summed:
    deals carry different currencies)."""
    rel = "analytics.open_deal_scores"
    if not wh.ready(rel, "deal_id", "win_probability"):
        return pl.DataFrame()
    return wh.frame(f"""WITH deals AS ({deals_cte(wh, dims)})
        SELECT d.team, d.segment, least(9, floor(CAST(s.win_probability AS DOUBLE) * 10))::INT AS band,
               count(*) AS deals
        FROM {rel} s JOIN deals d USING (deal_id) WHERE s.win_probability IS NOT NULL GROUP BY ALL""")


def map_tables(wh: Warehouse) -> dict[str, pl.DataFrame]:
    """The value-map tables that exist: items, roles, maps, links, and segment -> map from deal coverage."""
    out: dict[str, pl.DataFrame] = {}
    if wh.has("core.value_map_items", "map_id", "role_id", "kind", "item_id", "text"):
        out["items"] = wh.frame(f"""SELECT i.map_id, i.role_id, i.kind, i.item_id, CAST(i.text AS VARCHAR) AS text,
            {wh.opt('core.value_map_items', 'impact', 'i', 'BOOLEAN')},
            {wh.opt('core.value_map_items', 'priority', 'i', 'INTEGER')},
            {wh.opt('core.value_map_items', 'position', 'i', 'INTEGER')}
            FROM core.value_map_items i""")
    if wh.has("core.value_map_roles", "map_id", "role_id", "title"):
        out["roles"] = wh.frame(f"""SELECT r.map_id, r.role_id, CAST(r.title AS VARCHAR) AS title,
            {wh.opt('core.value_map_roles', 'key_player', 'r', 'BOOLEAN')},
            {wh.opt('core.value_map_roles', 'position', 'r', 'INTEGER')} FROM core.value_map_roles r""")
    if wh.has("core.value_maps", "map_id", "segment"):
        name = "CAST(m.name AS VARCHAR)" if wh.has("core.value_maps", "name") else "m.map_id"
        out["maps"] = wh.frame(f"SELECT m.map_id, m.segment, {name} AS name FROM core.value_maps m")
    if wh.has("core.value_map_links", "map_id", "from_kind", "from_id", "relation", "to_id"):
        out["links"] = wh.frame("SELECT map_id, from_kind, from_id, relation, to_id FROM core.value_map_links")
    if wh.has("analytics.deal_coverage", "segment", "map_id"):
        out["segment_maps"] = wh.frame("""SELECT segment, map_id, count(*) AS deals FROM analytics.deal_coverage
            WHERE map_id IS NOT NULL AND map_id <> '' GROUP BY ALL ORDER BY deals DESC""")
    return out


def drill_down(wh: Warehouse, drivers: list[tuple[str, str, str]],
               rep_ids: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """The deals behind drivers and reps, each group's full counts, and whether every deal is listed.

    A driver (segment, kind, item_id) groups the deals of that segment (every segment for '*') that covered
    the item; a rep groups their deals. Up to limits.DRILL_ALL_DEALS deals in the warehouse, every deal is
    listed; above, a bounded sample: each group's DRILL_PER_OUTCOME largest won and lost deals (and open ones,
    for reps). Returns (deals: one row per listed deal with its covered items, groups: group_key, won, lost,
    open, complete).
    """
    if not (wh.has("temp.dash_deals") and wh.has("temp.dash_items")):
        return pl.DataFrame(), pl.DataFrame(), False
    segs, kinds, items = ([list(x) for x in zip(*drivers)] if drivers else ([], [], []))
    n = limits.DRILL_PER_OUTCOME
    groups = wh.frame(f"""WITH wanted AS (SELECT unnest($1::VARCHAR[]) AS seg, unnest($2::VARCHAR[]) AS kind,
                                          unnest($3::VARCHAR[]) AS item_id),
        members AS (
          SELECT 'driver|' || w.seg || '|' || w.kind || '|' || w.item_id AS group_key, d.deal_id, d.outcome,
                 coalesce(d.amount, 0) AS amount
          FROM dash_items i JOIN wanted w ON w.kind = i.kind AND w.item_id = i.item_id
               JOIN dash_deals d ON d.deal_id = i.deal_id
          WHERE w.seg = '*' OR w.seg = d.segment
          UNION ALL
          SELECT 'rep|' || d.rep_id, d.deal_id, d.outcome, coalesce(d.amount, 0)
          FROM dash_deals d SEMI JOIN (SELECT unnest($4::VARCHAR[]) AS rep_id) r USING (rep_id))
        SELECT group_key, count(*) FILTER (WHERE outcome = 'won') AS won,
               count(*) FILTER (WHERE outcome = 'lost') AS lost, count(*) FILTER (WHERE outcome = 'open') AS open,
               max_by(deal_id, amount, {n}) FILTER (WHERE outcome = 'won') AS top_won,
               max_by(deal_id, amount, {n}) FILTER (WHERE outcome = 'lost') AS top_lost,
               max_by(deal_id, amount, {n}) FILTER (WHERE outcome = 'open' AND group_key LIKE 'rep|%') AS top_open
        FROM members GROUP BY group_key""", [segs, kinds, items, rep_ids])
    complete = wh.scalar("SELECT count(*) FROM dash_deals") <= limits.DRILL_ALL_DEALS
    picked = None if complete else sorted({d for col in ("top_won", "top_lost", "top_open")
                                           for ids in groups[col].to_list() for d in ids or []})
    cov = "CAST(c.key_role_coverage AS DOUBLE)" if wh.has("analytics.deal_coverage", "key_role_coverage") \
        else "NULL::DOUBLE"
    sel, join = _reps_join(wh, "d")
    deals = wh.frame(f"""WITH picked AS (SELECT deal_id FROM dash_deals
                                        WHERE $1::VARCHAR[] IS NULL OR list_contains($1::VARCHAR[], deal_id)),
        covered AS (
          SELECT i.deal_id, list(i.kind ORDER BY i.kind, i.item_id) AS kinds,
                 list(i.item_id ORDER BY i.kind, i.item_id) AS items
          FROM dash_items i JOIN picked USING (deal_id) GROUP BY i.deal_id
        )
        SELECT d.deal_id, d.account_name, d.rep_id, {sel}, d.segment, d.outcome, d.amount, d.currency, d.created_at,
               d.closed_at, {cov} AS coverage, coalesce(v.kinds, []) AS kinds, coalesce(v.items, []) AS items
        FROM picked p JOIN dash_deals d USING (deal_id) LEFT JOIN covered v USING (deal_id)
             LEFT JOIN analytics.deal_coverage c ON c.deal_id = d.deal_id {join}
        ORDER BY d.amount DESC NULLS LAST, d.deal_id""", [picked])
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
