"""open_deals.html: scored open deals most at risk (big and unlikely) with their next best action."""

from __future__ import annotations

import re

import polars as pl

from valuedata.dashboards import figures as F
from valuedata.dashboards import limits
from valuedata.dashboards import queries
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.fmt import money, ok, pct, pts
from valuedata.dashboards.html import Chart, Markup, esc, notice, page, table


def anchor(deal_id: str) -> str:
    """The element id of a deal's table row."""
    return "deal-" + re.sub(r"[^A-Za-z0-9_-]", "_", deal_id)


NO_BETTER = "the model for this segment does not beat always guessing the average win rate"


def action_text(ctx: Context, row: dict) -> str:
    """The next best action in the map's words with its expected lift; none, with why, when the analysis gives
    none or the segment's model does not beat the base rate (analytics.model_quality)."""
    action = ctx.text.action(row.get("next_best_action"), row.get("segment"))
    if row.get("better_than_baseline") is False:
        return f"None: {row.get('note') or NO_BETTER}"
    if not action:
        return f"None: {row['note']}" if row.get("note") else "None"
    if ok(row.get("expected_lift")):
        action += f" (about {pts(row['expected_lift'])} points of win probability)"
    return action


def why_text(row: dict) -> str:
    """What the model sees in the deal, in words: what helps it and what holds it back."""
    parts = [f"Helping: {row['top_positive']}." if row.get("top_positive") else "",
             f"Holding it back: {row['top_negative']}." if row.get("top_negative") else ""]
    return " ".join(p for p in parts if p)


def build(ctx: Context) -> Page:
    """The open-deals page."""
    deals = queries.open_deals(ctx.wh)
    if deals.is_empty():
        body = [notice("Open-deal scores not computed yet: analytics.open_deal_scores is empty, or there "
                       "were not enough closed deals to fit a model that scores them.")]
        return Page("open_deals.html", page("Open deals at risk", "open_deals.html", body, charts=[], filters=[]),
                    [], ["open_deals: analytics.open_deal_scores not computed yet"])
    bands = ctx.wh.frame("open_deal_bands")
    segments = ctx.dims.segments
    plotted = deals.filter(((pl.col("list_rank") <= limits.MAX_AT_RISK_POINTS)
                            | (pl.col("team_rank") <= limits.MAX_AT_RISK_PER_TEAM)) & pl.col("amount").is_not_null())
    scatter = F.at_risk([_point(ctx, r) for r in plotted.iter_rows(named=True)], segments, ctx.dims.teams)
    stacked = {}
    for team in ctx.teams():
        band = bands if team == queries.ALL else bands.filter(pl.col("team") == team)
        stacked[team] = F.probability_bands(
            band.group_by("segment", "band").agg(pl.col("deals").sum()), segments)
    charts = [Chart("atrisk", "Open deals at risk", {queries.ALL: scatter}, [],
                    help=f"The {limits.MAX_AT_RISK_POINTS} open deals with the most value at risk (amount × "
                         f"(1 − win probability)) and the {limits.MAX_AT_RISK_PER_TEAM} riskiest of each team. "
                         "Top left: big and unlikely. Click a deal to jump to its row."),
              Chart("bands", "Open deals by win probability", stacked, ["team"],
                    help="How many scored open deals fall in each band of win probability.")]
    body = [Markup('<div class="grid2">'), charts[0].markup(), charts[1].markup(), Markup("</div>"),
            _table(ctx, deals)]
    filters = [ctx.segment_filter(), ctx.team_filter()]
    return Page("open_deals.html", page("Open deals at risk", "open_deals.html", body, charts=charts,
                                        filters=filters), charts)


def _point(ctx: Context, r: dict) -> F.AtRisk:
    title = f"{r['deal_id']} · {r['account_name']}" if r["account_name"] else r["deal_id"]
    return F.AtRisk(r["segment"], r["team"], r["win_probability"], r["amount"] if ok(r["amount"]) else 0.0,
                    r["currency"] or "", f"{title} ({r['rep_name']}, {r['team']})", action_text(ctx, r),
                    "#" + anchor(r["deal_id"]))


def _table(ctx: Context, deals: pl.DataFrame) -> Markup:
    cap = limits.MAX_AT_RISK_PER_GROUP
    listed = deals.filter((pl.col("list_rank") <= limits.MAX_AT_RISK_ROWS) | (pl.col("team_rank") <= cap)
                          | (pl.col("segment_rank") <= cap))
    rows, attrs = [], []
    for r in listed.iter_rows(named=True):
        rows.append([Markup(f'<span id="{esc(anchor(r["deal_id"]))}">{esc(r["deal_id"])}</span>'),
                     r["account_name"] or "", r["rep_name"], r["team"], r["segment"],
                     (money(r["amount"], r["currency"]), f"{r['amount'] or 0:.2f}"),
                     (pct(r["win_probability"]), f"{r['win_probability']:.4f}"),
                     (money(r["value_at_risk"], r["currency"]), f"{r['value_at_risk']:.2f}"), action_text(ctx, r),
                     why_text(r)])
        attrs.append({"segment": r["segment"], "team": r["team"]})
    return Markup('<section class="card"><h2>Deals to act on</h2><p class="help">Open deals by value at risk '
                  "(amount × (1 − win probability), in the deal's own currency), with the one step the model "
                  "expects to raise the win probability most — none where the analyses do not support one, with "
                  "why.</p>"
                  + table(["Deal", "Account", "Rep", "Team", "Segment", "Amount", "Win probability",
                           "At risk", "Next best action", "What the model sees"], rows, row_attrs=attrs,
                          numeric={5, 6, 7}, table_id="atrisk-table")
                  + '<p class="help count" data-count-for="atrisk-table"></p></section>')
