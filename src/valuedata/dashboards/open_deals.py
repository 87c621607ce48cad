"""open_deals.html: scored open deals most at risk (big and unlikely) with their next best action."""

from __future__ import annotations

import re

import polars as pl

from valuedata.dashboards import figures as F
from valuedata.dashboards import limits
from valuedata.dashboards import queries as q
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.fmt import money, ok, pct, pts
from valuedata.dashboards.html import Chart, Markup, esc, notice, page, table


def anchor(deal_id: str) -> str:
    """The element id of a deal's table row."""
    return "deal-" + re.sub(r"[^A-Za-z0-9_-]", "_", deal_id)


def action_text(ctx: Context, row: dict) -> str:
    """The next best action in the map's words, with its expected lift."""
    action = ctx.text.action(row.get("next_best_action"), row.get("segment"))
    if action and ok(row.get("expected_lift")):
        action += f" ({pts(row['expected_lift'])} points)"
    return action


def build(ctx: Context) -> Page:
    """The open-deals page."""
    deals = q.open_deals(ctx.wh, ctx.dims)
    deals = deals.filter(pl.col("win_probability").is_not_null()) if "win_probability" in deals.columns else deals
    if deals.is_empty():
        body = [notice("Open-deal scores not computed yet: analytics.open_deal_scores is missing or empty, or there "
                       "were not enough closed deals to fit a model that scores them.")]
        return Page("open_deals.html", page("Open deals at risk", "open_deals.html", body, charts=[], filters=[]),
                    [], ["open_deals: analytics.open_deal_scores not computed yet"])
    bands = q.open_bands(ctx.wh, ctx.dims)
    segments = ctx.dims.segments
    plotted = deals.filter(((pl.col("list_rank") <= limits.MAX_AT_RISK_POINTS)
                            | (pl.col("team_rank") <= limits.MAX_AT_RISK_PER_TEAM)) & pl.col("amount").is_not_null())
    scatter = F.at_risk([_point(ctx, r) for r in plotted.iter_rows(named=True)], segments, ctx.dims.teams)
    stacked = {}
    for team in ctx.teams():
        band = bands if team == q.ALL else bands.filter(pl.col("team") == team)
        stacked[team] = F.probability_bands(
            band.group_by("segment", "band").agg(pl.col("deals").sum(), pl.col("amount").sum()), segments)
    charts = [Chart("atrisk", "Open deals at risk", {q.ALL: scatter}, [],
                    help=f"The {limits.MAX_AT_RISK_POINTS} open deals with the most value at risk (amount × "
                         f"(1 − win probability)) and the {limits.MAX_AT_RISK_PER_TEAM} riskiest of each team. "
                         "Top left: big and unlikely. Click a deal to jump to its row."),
              Chart("bands", "Open pipeline by win probability", stacked, ["team"],
                    help="Every scored open deal, by its win probability.")]
    body = [Markup('<div class="grid2">'), charts[0].markup(), charts[1].markup(), Markup("</div>"),
            _table(ctx, deals)]
    filters = [ctx.segment_filter(), ctx.team_filter()]
    return Page("open_deals.html", page("Open deals at risk", "open_deals.html", body, charts=charts,
                                        filters=filters), charts)


def _point(ctx: Context, r: dict) -> F.AtRisk:
    title = f"{r['deal_id']} · {r['account_name']}" if r["account_name"] else r["deal_id"]
    return F.AtRisk(r["segment"], r["team"], r["win_probability"], r["amount"] if ok(r["amount"]) else 0.0,
                    f"{title} ({r['rep_name']}, {r['team']})", action_text(ctx, r) or "none",
                    "#" + anchor(r["deal_id"]))


def _table(ctx: Context, deals: pl.DataFrame) -> Markup:
    cap = limits.MAX_AT_RISK_PER_GROUP
    listed = deals.filter((pl.col("list_rank") <= limits.MAX_AT_RISK_ROWS) | (pl.col("team_rank") <= cap)
                          | (pl.col("segment_rank") <= cap))
    rows, attrs = [], []
    for r in listed.iter_rows(named=True):
        why = "; ".join(x for x in (f"against: {r['top_negative']}" if r["top_negative"] else "",
                                    f"for: {r['top_positive']}" if r["top_positive"] else "") if x)
        rows.append([Markup(f'<span id="{esc(anchor(r["deal_id"]))}">{esc(r["deal_id"])}</span>'),
                     r["account_name"] or "", r["rep_name"], r["team"], r["segment"],
                     (money(r["amount"]), f"{r['amount'] or 0:.2f}"),
                     (pct(r["win_probability"]), f"{r['win_probability']:.4f}"),
                     (money(r["value_at_risk"]), f"{r['value_at_risk']:.2f}"), action_text(ctx, r), why])
        attrs.append({"segment": r["segment"], "team": r["team"]})
    return Markup('<section class="card"><h2>Deals to act on</h2><p class="help">Open deals by value at risk, '
                  "with the one step the model expects to raise the win probability most.</p>"
                  + table(["Deal", "Account", "Rep", "Team", "Segment", "Amount", "Win probability",
                           "At risk", "Next best action", "Why"], rows, row_attrs=attrs, numeric={5, 6, 7},
                          table_id="atrisk-table")
                  + '<p class="help count" data-count-for="atrisk-table"></p></section>')
