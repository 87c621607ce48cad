"""deals.html: the deals behind a driver or a rep, as a sortable, filterable table (rendered by deals.js)."""

from __future__ import annotations

import polars as pl

from valuedata.dashboards import limits
from valuedata.dashboards import queries
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.html import Markup, esc, notice, page


def build(ctx: Context, drivers: list[tuple[str, str, str]], rep_ids: list[str]) -> Page:
    """The drill-down page for the plotted drivers and the reps of the reps page."""
    deals, groups, complete = queries.drill_down(ctx.wh, drivers, rep_ids)
    if deals.is_empty():
        body = [notice("No deals to drill into yet: deal coverage, driver effects or rep scorecards are not "
                       "computed.")]
        return Page("deals.html", page("Deals", "deals.html", body, charts=[], filters=[]), [],
                    ["deals: nothing to drill into yet"])
    payload = deals_payload(ctx, deals, groups) | {"complete": complete}
    listed = ("Every deal is listed, 50 to a page; sort by any column, filter by outcome, text and the filters "
              "above. Counts above the table are for all deals.") if complete else (
        f"A sample, not every deal (the warehouse holds more than {limits.DRILL_ALL_DEALS:,}): for each driver the "
        f"{limits.DRILL_PER_OUTCOME} largest won and lost deals with it, for each rep the "
        f"{limits.DRILL_PER_OUTCOME} largest won, lost and open deals. Counts above the table are for all deals.")
    body = [Markup('<section class="card"><div id="focus" class="focus" hidden></div>'
                   '<div class="tools"><label>Outcome <select id="outcome"><option value="all">All</option>'
                   '<option value="won">Won</option><option value="lost">Lost</option>'
                   '<option value="open">Open</option></select></label>'
                   '<label>Search <input id="search" type="search" placeholder="deal, account, rep, item"></label>'
                   '<span id="deal-count" class="muted"></span>'
                   '<button id="prev" type="button">← Previous</button><button id="next" type="button">Next →'
                   '</button></div>'
                   '<div class="table-wrap"><table id="deals"><thead></thead><tbody></tbody></table></div>'
                   f'<p class="help">{esc(listed)} For everything, query the warehouse: <code>valuedata sql '
                   '"SELECT * FROM analytics.deal_coverage"</code>.</p></section>')]
    filters = [ctx.segment_filter(), ctx.team_filter(), ctx.period_filter()]
    html = page("Deals", "deals.html", body, charts=[], filters=filters, extra={"deals": payload},
                periods=ctx.periods_js(), scripts=("deals.js",))
    return Page("deals.html", html, [])


def deals_payload(ctx: Context, deals: pl.DataFrame, groups: pl.DataFrame) -> dict:
    """Compact JSON for deals.js: rows reference reps, segments and items by index.

    rows: [deal_id, account, rep, segment, outcome, amount, coverage, date, [items], currency] where date is
    closed_at for closed deals and created_at for open ones; groups: {group_key: [won, lost, open]} over all deals.
    """
    reps: dict[str, int] = {}
    segments: dict[str, int] = {}
    items: dict[tuple[str, str], int] = {}
    rows = []
    for r in deals.iter_rows(named=True):
        reps.setdefault(r["rep_id"], len(reps))
        segments.setdefault(r["segment"], len(segments))
        idx = [items.setdefault((kind, item_id), len(items)) for kind, item_id in zip(r["kinds"], r["items"])]
        day = r["closed_at"] if r["outcome"] != "open" and r["closed_at"] else r["created_at"]
        rows.append([r["deal_id"], r["account_name"] or "", reps[r["rep_id"]], segments[r["segment"]],
                     r["outcome"], round(r["amount"]) if r["amount"] is not None else None,
                     round(r["coverage"], 2) if r["coverage"] is not None else None,
                     day.isoformat() if day else "", idx, r["currency"] or ""])
    names = {r["rep_id"]: (r["rep_name"], ctx.cap_team(r["team"])) for r in deals.iter_rows(named=True)}
    return {"rows": rows, "reps": [[rep_id, *names[rep_id]] for rep_id in reps], "segments": list(segments),
            "segment_keys": [s if s in ctx.dims.segments else queries.OTHER_SEGMENTS for s in segments],
            "items": [[kind, item_id, ctx.text.item(kind, item_id).text] for kind, item_id in items],
            "groups": {r["group_key"]: [int(r["won"]), int(r["lost"]), int(r["open"])]
                       for r in groups.iter_rows(named=True)}}
