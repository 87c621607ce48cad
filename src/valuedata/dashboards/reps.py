"""reps.html: actual vs expected win rate, behaviour gaps to top performers, and a coaching list per rep."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


from valuedata.dashboards import figures as F
from valuedata.dashboards import limits
from valuedata.dashboards import queries
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.fmt import num, ok, pct
from valuedata.dashboards.html import Chart, Markup, drill_href, esc, link, notice, page, table, unique_labels


def points(contribution: float) -> float:
    """rep_gaps.contribution (a win-rate difference, 0.041 = 4.1 points) in percentage points."""
    return contribution * 100


@dataclass
class Rep:
    """A rep as the reps page shows them."""

    rep_id: str
    label: str
    team: str
    card: dict = field(default_factory=dict)
    gaps: list[dict] = field(default_factory=list)

    @property
    def total_gap(self) -> float:
        """Win-rate points lost to gaps (positive contributions only)."""
        return sum(max(0.0, g["contribution"]) for g in self.gaps)

    @property
    def actual(self) -> float | None:
        """Best-estimate win rate: empirical-Bayes shrunk when available, else raw."""
        shrunk = self.card.get("win_rate_shrunk")
        return shrunk if ok(shrunk) else self.card.get("win_rate")


def anchor(rep_id: str) -> str:
    """The element id of a rep's coaching row."""
    return "rep-" + re.sub(r"[^A-Za-z0-9_-]", "_", rep_id)


def load_reps(ctx: Context) -> dict[str, Rep]:
    """Every rep with a scorecard row or a gap, with a unique display label and a capped team."""
    card, gaps = queries.scorecard(ctx.wh), queries.coach_gaps(ctx.wh)
    reps: dict[str, Rep] = {}
    for frame in (card, gaps):
        for r in frame.iter_rows(named=True):
            reps.setdefault(r["rep_id"], Rep(r["rep_id"], r["rep_name"], ctx.cap_team(r["team"])))
    for r in card.iter_rows(named=True):
        reps[r["rep_id"]].card = r
    for r in gaps.iter_rows(named=True):
        reps[r["rep_id"]].gaps.append(r)
    for rep, label in zip(reps.values(), unique_labels([r.label for r in reps.values()], list(reps), 36)):
        rep.label = label
    return reps


def build(ctx: Context, cautions: dict) -> tuple[Page, list[str]]:
    """The reps page and the rep ids it links to the drill-down.

    The verdict of analytics.rep_heterogeneity leads the page; the gap heatmap and the coaching list show only
    rep_gaps rows flagged `coach`, and only when reps differ beyond chance; look-alikes (`cautions`, see
    lookalikes.py) carry a ⚠ there.
    """
    # per (kind, item): the pooled ('*') caution when there is one (it sorts last here, so it is kept)
    flagged = {(kind, item): text for (_, kind, item), text in sorted(cautions.items(), reverse=True)}
    reps = load_reps(ctx)
    if not reps:
        body = [notice("Rep scorecard not computed yet (analytics.rep_scorecard and analytics.rep_gaps are "
                       "missing or empty).")]
        return Page("reps.html", page("Reps", "reps.html", body, charts=[], filters=[]), [],
                    ["reps: analytics.rep_scorecard / rep_gaps not computed yet"]), []
    everyone = list(reps.values())
    differ = any(r.card.get("reps_differ") for r in everyone)
    coaching = sorted((r for r in everyone if r.gaps), key=lambda r: (-r.total_gap, r.label))
    coaching = coaching[:limits.MAX_COACHING_REPS]
    drill = {r.rep_id for r in coaching} | {r.rep_id for r in _chart_reps(everyone)}
    charts = [Chart("reps", "Actual vs expected win rate",
                    {t: _vs_expected(_team(everyone, t), drill) for t in ctx.teams()}, ["team"],
                    help="Filled dots: each rep's shrunk win rate (pulled towards the average, most for reps with "
                         "few deals), with its 95% interval; open circles: the raw win rate (won ÷ closed). "
                         "Diamonds: what their behaviours and deal mix predict. Green or red only when the "
                         "interval clears the expectation; grey: within chance of it. Click a rep to see their "
                         "deals.")]
    body = [_verdict(queries.heterogeneity(ctx.wh), differ), charts[0].markup()]
    if differ:
        charts.append(Chart("gaps", "Behaviour gaps to top performers worth coaching",
                            {t: _heatmap(ctx, _team(coaching, t), drill, flagged) for t in ctx.teams()}, ["team"],
                            help="Win-rate points each gap to the top quartile of reps costs a rep; only gaps on a "
                                 "proven driver, beyond chance, for reps with enough closed deals. ⚠: a look-alike "
                                 "whose effect may be borrowed from another item (see the drivers page)."))
        body += [charts[1].markup(), _coaching(ctx, coaching, len(reps), flagged)]
    notes = [] if any(r.card for r in everyone) else ["reps: analytics.rep_scorecard not computed yet"]
    html = page("Reps", "reps.html", body, charts=charts, filters=[ctx.team_filter()])
    return Page("reps.html", html, charts, notes), sorted(drill)


def _verdict(row: dict, differ: bool) -> Markup:
    """The heterogeneity verdict in words; when reps do not differ, why there is no coaching list or heatmap."""
    text = row.get("verdict") or "Whether reps differ beyond chance has not been tested yet."
    tail = "" if differ else ("<p>So this page shows no coaching list and no gap heatmap: differences between "
                              "reps' win rates here are what chance alone would produce.</p>")
    closed = f" ({num(row['closed_deals'])} closed deals, {num(row['reps'])} reps)" if row.get("closed_deals") else ""
    return Markup(f'<section class="card verdict{"" if differ else " verdict-none"}" id="verdict">'
                  f"<h2>Do reps differ beyond chance?</h2><p><strong>{esc(text[0].upper() + text[1:])}</strong>"
                  f"{esc(closed)}</p>{tail}</section>")


def _team(reps: list[Rep], team: str) -> list[Rep]:
    return reps if team == queries.ALL else [r for r in reps if r.team == team]


def _chart_reps(reps: list[Rep]) -> list[Rep]:
    """Reps with a win rate, capped to the largest gaps to expectation either way."""
    rated = [r for r in reps if ok(r.actual)]
    if len(rated) <= limits.MAX_REPS_CHART:
        return rated
    gap = sorted(rated, key=lambda r: r.actual - (r.card.get("expected_win_rate") or r.actual))
    half = limits.MAX_REPS_CHART // 2
    return gap[:half] + gap[-half:]


def _vs_expected(reps: list[Rep], drill: set[str]) -> object:
    rows = []
    for rep in _chart_reps(reps):
        c = rep.card
        interval = "win_rate_shrunk" if ok(c.get("win_rate_shrunk")) else "win_rate"  # the interval of `actual`
        rows.append(F.RepRow(label=rep.label, team=rep.team, closed=c.get("closed_deals"), actual=rep.actual,
                             raw=c.get("win_rate"), expected=c.get("expected_win_rate"), mix=c.get("mix_win_rate"),
                             ci_low=c.get(f"{interval}_ci_low"), ci_high=c.get(f"{interval}_ci_high"),
                             url=drill_href(rep=rep.rep_id) if rep.rep_id in drill else ""))
    return F.rep_vs_expected(rows)


def _heatmap(ctx: Context, reps: list[Rep], drill: set[str], flagged: dict) -> object:
    shown = reps[:limits.MAX_REPS_HEATMAP]
    weight: dict[tuple[str, str], float] = {}
    for rep in shown:
        for g in rep.gaps:
            weight[(g["kind"], g["item_id"])] = weight.get((g["kind"], g["item_id"]), 0) + max(0, g["contribution"])
    items = sorted(weight, key=lambda k: (-weight[k], k))[:limits.MAX_GAP_ITEMS]
    z, rates = [], []
    for rep in shown:
        by = {(g["kind"], g["item_id"]): g for g in rep.gaps}
        z.append([round(points(by[k]["contribution"]), 1) if k in by else None for k in items])
        rates.append([[round(by[k]["rep_rate"], 3), round(by[k]["top_rate"], 3)]
                      if k in by and ok(by[k]["rep_rate"]) and ok(by[k]["top_rate"]) else None for k in items])
    labels = unique_labels([("⚠ " if k in flagged else "") + ctx.text.item(*k).short() for k in items],
                           [k[1] for k in items], 40)
    urls = [drill_href(rep=r.rep_id) if r.rep_id in drill else "" for r in shown]
    return F.gap_heatmap([r.label for r in shown], labels, z, rates, urls)


def _coaching(ctx: Context, reps: list[Rep], total: int, flagged: dict) -> Markup:
    rows, attrs = [], []
    for rep in reps:
        gaps = sorted((g for g in rep.gaps if g["contribution"] > 0), key=lambda g: -g["contribution"])
        items = "".join(
            f"<li>{esc(ctx.text.item(g['kind'], g['item_id']).action())} <span class=muted>— in "
            f"{esc(pct(g['rep_rate']))} of their deals vs {esc(pct(g['top_rate']))} for top performers, about "
            f"{points(g['contribution']):.1f} points</span>{_caution(flagged, g)}</li>"
            for g in gaps[:limits.COACHING_GAPS])
        todo = Markup(f"<ol>{items}</ol>")
        card = rep.card
        rows.append([Markup(f'<span id="{esc(anchor(rep.rep_id))}">{esc(rep.label)}</span>'), rep.team,
                     num(card.get("closed_deals")), _rate(card.get("win_rate")), _rate(card.get("win_rate_shrunk")),
                     _rate(card.get("expected_win_rate")),
                     (todo, f"{rep.total_gap:.4f}"), link(drill_href(rep=rep.rep_id), "deals →")])
        attrs.append({"team": rep.team})
    more = (f" The other {total - len(reps)} reps have no gap worth coaching: none on a proven driver beyond "
            "chance, or too few closed deals to tell.") if total > len(reps) else ""
    listed = table(["Rep", "Team", "Closed deals", "Win rate (raw)", "Win rate (shrunk)", "Expected",
                    "What to work on", "Deals"], rows, row_attrs=attrs, numeric={2, 3, 4, 5}, table_id="coaching") \
        if rows else notice("No rep has a gap worth coaching: no gap on a proven driver is beyond chance for a rep "
                            "with enough closed deals.")
    return Markup('<section class="card"><h2>Coaching list</h2><p class="help">Each rep\'s largest gaps to top '
                  f"performers worth coaching, in the value map's own words; reps losing the most points first."
                  f"{esc(more)}</p>" + listed + "</section>")


def _caution(flagged: dict, gap: dict) -> str:
    """' ⚠ look-alike: ...' after a coaching line whose item may borrow its effect from another, else ''."""
    text = flagged.get((gap["kind"], gap["item_id"]))
    return f' <span class="caution">⚠ {esc(text)}</span>' if text else ""


def _rate(x: float | None) -> tuple[str, str]:
    """A win rate cell: shown as a percentage, sorted by its value."""
    return pct(x), f"{x or 0:.4f}"
