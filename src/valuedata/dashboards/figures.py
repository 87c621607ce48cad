"""Figure builders: small aggregated data in, plotly-JSON dicts out (no graph objects: they are slow to build).

Every data string is escaped here (ptext). Nested properties are spelled out ({"marker": {"color": ...}}, never
marker_color); tests/test_dashboards.py validates every built figure with plotly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.io as pio
import polars as pl
from plotly.colors import qualitative

from valuedata.dashboards.fmt import num, ok, wilson
from valuedata.dashboards.html import Figure, cut, ptext, pwrap
from valuedata.dashboards.limits import LABEL_CHARS

THEME = "plotly_white"
WON, LOST, OPEN = "#2a9d8f", "#d1495b", "#8d99ae"
POSITIVE, NEGATIVE, NEUTRAL = "#1b7f3b", "#c0392b", "#9aa0a6"
PALETTE = qualitative.Safe + qualitative.Pastel
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
COVERAGE_BINS = ["None", "1–25%", "26–50%", "51–75%", "76–99%", "All"]
LOG_TICKS = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50]
PROB_BANDS = [f"{10 * i}–{10 * i + 10}%" for i in range(10)]
LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}


def segment_colors(segments: list[str]) -> dict[str, str]:
    """A stable colour per segment."""
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(segments)}


def themed(fig: Figure) -> Figure:
    """A copy with the page theme applied (pages share one theme file; PNG export needs it per figure)."""
    return fig | {"layout": fig["layout"] | {"template": pio.templates[THEME].to_plotly_json()}}


def figure(traces: list[dict], height: int, **layout: object) -> Figure:
    """A figure with the shared layout; each keyword adds or replaces a whole top-level layout entry."""
    shared = {"height": height, "font": FONT, "hoverlabel": {"align": "left"},
              "modebar": {"orientation": "v"},  # down the right edge: never over a legend along the top
              "margin": {"l": 10, "r": 20, "t": 40, "b": 10}, "legend": LEGEND}
    return {"data": traces, "layout": shared | layout}


def axis(title: str | None = None, **props: object) -> dict:
    """An axis layout entry: its title text (if any) and other properties."""
    return ({"title": {"text": title}} if title is not None else {}) | props


def _tag(**filters: str) -> dict:
    """Trace meta read by dashboard.js: hide the trace unless the page filter is 'all' or matches."""
    return {"filter": filters}


def empty(message: str, height: int = 220) -> Figure:
    """A figure that says why there is nothing to plot."""
    note = {"text": ptext(message), "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
            "font": {"size": 15, "color": "#555"}}
    return figure([], height, annotations=[note], xaxis={"visible": False}, yaxis={"visible": False})


def winrate_time(series: pl.DataFrame, segments: list[str], grain: str) -> Figure:
    """Win rate per period: one line for all segments, one per segment (tagged for the segment filter).

    `series`: segment, x (ISO date of the period start), won, closed. Every segment gets a trace, empty or not,
    so that variants share one structure.
    """
    if series.is_empty():
        return empty("No closed deals in this selection")
    colors = segment_colors(segments)
    total = series.group_by("x").agg(pl.col("won").sum(), pl.col("closed").sum()).sort("x")
    when = "%{x|%b %Y}" if grain == "month" else "quarter from %{x|%b %Y}"
    groups = [("All segments", total, "#222", None)] + [
        (s, series.filter(pl.col("segment") == s).sort("x"), colors[s], s) for s in segments]
    traces = []
    for name, frame, color, seg in groups:
        line = {"type": "scatter", "x": frame["x"].to_list(),
                "y": [round(w / c, 3) for w, c in zip(frame["won"], frame["closed"])],
                "customdata": [[w, c] for w, c in zip(frame["won"], frame["closed"])],
                "name": ptext(name), "mode": "lines+markers",
                "line": {"color": color, "width": 3.5 if seg is None else 2},
                "marker": {"size": 7 if seg is None else 5},
                "hovertemplate": f"<b>%{{fullData.name}}</b>, {when}<br>won %{{customdata[0]}} of "
                                 "%{customdata[1]} closed deals (%{y:.0%})<extra></extra>"}
        if seg:
            line["meta"] = _tag(segment=seg)
        traces.append(line)
    return figure(traces, 420, hovermode="closest", xaxis=axis("Closed in", type="date"),
                  yaxis=axis("Win rate (won ÷ closed)", tickformat=".0%", range=[0, 1.02]))


def pipeline(counts: pl.DataFrame, segments: list[str]) -> Figure:
    """Open / won / lost deal counts, stacked by segment. `counts`: segment, outcome, deals."""
    if counts.is_empty():
        return empty("No deals in this selection")
    colors = segment_colors(segments)
    order = [("open", "Open"), ("won", "Won"), ("lost", "Lost")]
    bars = []
    for seg in segments:
        by = {r["outcome"]: r for r in counts.filter(pl.col("segment") == seg).iter_rows(named=True)}
        bars.append({"type": "bar", "x": [label for _, label in order],
                     "y": [by.get(o, {}).get("deals", 0) for o, _ in order], "name": ptext(seg),
                     "marker": {"color": colors[seg]}, "meta": _tag(segment=seg),
                     "hovertemplate": "<b>%{fullData.name}</b>: %{y:,} %{x} deals<extra></extra>"})
    return figure(bars, 380, barmode="stack", legend=LEGEND | {"traceorder": "normal"}, yaxis=axis("Deals"))


def coverage_winrate(bins: pl.DataFrame, segments: list[str], shown: list[int]) -> Figure:
    """Win rate by key-player coverage bin: bars for all segments (95% interval), a line per segment.

    `bins`: segment, bin (0..5), won, closed; `shown`: the bins any deal falls in (the axis of every variant).
    """
    if bins.is_empty():
        return empty("No closed deals with coverage in this selection")
    colors = segment_colors(segments)
    total = bins.group_by("bin").agg(pl.col("won").sum(), pl.col("closed").sum()).sort("bin")
    rates = [w / c for w, c in zip(total["won"], total["closed"])]
    ci = [wilson(w, c) for w, c in zip(total["won"], total["closed"])]
    hover = ("<b>%{fullData.name}</b>, %{x} of key players met:<br>won %{customdata[0]:,} of "
             "%{customdata[1]:,} closed deals (%{y:.0%})<extra></extra>")
    traces = [{"type": "bar", "x": [COVERAGE_BINS[b] for b in total["bin"]], "y": [round(r, 3) for r in rates],
               "name": "All segments", "marker": {"color": "#c9d6df"},
               "error_y": {"type": "data", "color": "#555",
                           "array": [round(hi - r, 3) for r, (_, hi) in zip(rates, ci)],
                           "arrayminus": [round(r - lo, 3) for r, (lo, _) in zip(rates, ci)]},
               "text": [f"n={num(c)}" for c in total["closed"]], "textposition": "inside",
               "insidetextanchor": "start", "customdata": [[w, c] for w, c in zip(total["won"], total["closed"])],
               "hovertemplate": hover}]
    for seg in segments:
        part = bins.filter(pl.col("segment") == seg).sort("bin")
        traces.append({"type": "scatter", "x": [COVERAGE_BINS[b] for b in part["bin"]],
                       "y": [round(w / c, 3) for w, c in zip(part["won"], part["closed"])],
                       "customdata": [[w, c] for w, c in zip(part["won"], part["closed"])],
                       "name": ptext(seg), "mode": "lines+markers", "line": {"color": colors[seg]},
                       "meta": _tag(segment=seg), "hovertemplate": hover})
    return figure(traces, 400,
                  xaxis=axis("Share of key players met", type="category", categoryorder="array",
                             categoryarray=[COVERAGE_BINS[b] for b in shown], range=[-0.5, len(shown) - 0.5]),
                  yaxis=axis("Win rate", tickformat=".0%", range=[0, 1.05]))


@dataclass
class Driver:
    """One forest-plot row, with raw label and prepared (escaped) hover text."""

    label: str
    hover: str
    lift_hover: str
    odds_ratio: float
    or_low: float | None
    or_high: float | None
    lift: float | None
    lift_low: float | None
    lift_high: float | None
    significant: bool
    url: str


def _error_bars(color: str, centre: list[float], low: list[float | None], high: list[float | None],
                scale: float = 1.0, digits: int = 4) -> dict:
    """Asymmetric plotly error bars from each point's interval (none where a bound is unknown)."""
    return {"type": "data", "symmetric": False, "color": color, "thickness": 1.5,
            "array": [round((h - c) * scale, digits) if ok(h) else 0 for c, h in zip(centre, high)],
            "arrayminus": [round((c - lo) * scale, digits) if ok(lo) else 0 for c, lo in zip(centre, low)]}


FOREST_GROUPS = [("Significant: more wins", POSITIVE, lambda d: d.significant and d.odds_ratio >= 1, "circle"),
                 ("Significant: fewer wins", NEGATIVE, lambda d: d.significant and d.odds_ratio < 1, "circle"),
                 ("Not significant", NEUTRAL, lambda d: not d.significant, "circle-open")]
FOREST_PANELS = ("Adjusted odds ratio, 95% interval (log scale)", "Raw lift in win rate, points (95% interval)")
ODDS_SHARE, PANEL_GAP = 0.62, 0.03  # the odds-ratio panel's share of the panels' width; the gap between them


def forest(drivers: list[Driver]) -> Figure:
    """Adjusted odds ratios (log x) with intervals beside the raw lift in win rate, one row per driver."""
    if not drivers:
        return empty("No driver has an estimate in this segment yet")
    rows = sorted(drivers, key=lambda d: d.odds_ratio)  # bottom to top: strongest positive on top
    odds, lifts = {"xaxis": "x", "yaxis": "y"}, {"xaxis": "x2", "yaxis": "y2"}  # the left and right panels
    traces = []
    for name, color, test, symbol in FOREST_GROUPS:
        idx = [i for i, d in enumerate(rows) if test(d)]
        pick = [rows[i] for i in idx]
        marker = {"color": color, "size": 10, "symbol": symbol, "line": {"width": 2, "color": color}}
        if pick:
            traces.append({
                "type": "scatter", "x": [_r(d.odds_ratio, 4) for d in pick], "y": idx, "mode": "markers",
                "name": name, "marker": marker,
                "error_x": _error_bars(color, [d.odds_ratio for d in pick], [d.or_low for d in pick],
                                       [d.or_high for d in pick]),
                "hovertext": [d.hover for d in pick], "hoverinfo": "text", "customdata": [d.url for d in pick],
                "legendgroup": name, **odds})
        lifted = [(i, d) for i, d in zip(idx, pick) if ok(d.lift)]
        if lifted:
            traces.append({
                "type": "scatter", "x": [round(d.lift * 100, 2) for _, d in lifted], "y": [i for i, _ in lifted],
                "mode": "markers", "name": name, "marker": marker, "showlegend": False, "legendgroup": name,
                "error_x": _error_bars(color, [d.lift for _, d in lifted], [d.lift_low for _, d in lifted],
                                       [d.lift_high for _, d in lifted], scale=100, digits=2),
                "hovertext": [d.lift_hover for _, d in lifted], "hoverinfo": "text",
                "customdata": [d.url for _, d in lifted], **lifts})
    span = [-0.6, len(rows) - 0.4]
    traces += [{"type": "scatter", "x": [x, x], "y": span, "mode": "lines",  # no effect: odds ratio 1, lift 0
                "line": {"color": "#444", "dash": "dash", "width": 1}, "hoverinfo": "skip", "showlegend": False,
                **panel} for x, panel in ((1, odds), (0, lifts))]
    height = 150 + 40 * len(rows)
    return figure(traces, height, hovermode="closest", legend=LEGEND | {"y": 1.04 + 30 / height},
                  **_forest_axes(rows, span))


def _forest_axes(rows: list[Driver], span: list[float]) -> dict:
    """The two titled panels sharing the driver rows (as make_subplots lays them out), log ticks spanning the
    intervals and the driver labels."""
    left = [0.0, (1 - PANEL_GAP) * ODDS_SHARE]
    right = [left[1] + PANEL_GAP, 1.0]
    titles = [{"text": text, "x": sum(domain) / 2, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "center",
               "yanchor": "bottom", "showarrow": False, "font": {"size": 16}}
              for text, domain in zip(FOREST_PANELS, (left, right))]
    lows = [d.or_low if ok(d.or_low) else d.odds_ratio for d in rows]
    highs = [d.or_high if ok(d.or_high) else d.odds_ratio for d in rows]
    ticks = [t for t in LOG_TICKS if min(lows) / 1.5 <= t <= max(highs) * 1.5] or [1]
    labels = [pwrap(cut(d.label, 2 * LABEL_CHARS), LABEL_CHARS) for d in rows]
    return {"annotations": titles,
            "xaxis": axis("← fewer wins · more wins →", anchor="y", domain=left, type="log", tickvals=ticks,
                          ticktext=[f"{t:g}×" for t in ticks]),
            "xaxis2": axis("points", anchor="y2", domain=right, zeroline=False),
            "yaxis": axis(anchor="x", domain=[0.0, 1.0], tickvals=list(range(len(rows))), ticktext=labels,
                          range=span, automargin=True, showgrid=True, gridcolor="#f0f0f0"),
            "yaxis2": axis(anchor="x2", domain=[0.0, 1.0], matches="y", showticklabels=False)}


@dataclass
class RepRow:
    """One rep in the actual-vs-expected chart (raw, unique label)."""

    label: str
    team: str
    closed: int | None
    actual: float
    raw: float | None
    expected: float | None
    mix: float | None
    ci_low: float | None
    ci_high: float | None
    url: str


def _r(x: float | None, digits: int = 3) -> float | None:
    return round(x, digits) if ok(x) else None


def above(r: RepRow) -> bool:
    """Whether the rep's whole interval lies above what their deals predict."""
    return ok(r.expected) and ok(r.ci_low) and r.ci_low > r.expected


def below(r: RepRow) -> bool:
    """Whether the rep's whole interval lies below what their deals predict."""
    return ok(r.expected) and ok(r.ci_high) and r.ci_high < r.expected


def _rep_hover(rows: list[RepRow]) -> str:
    """The reps chart's hover template; the interval, expected and average-behaviour lines only when known."""
    has_ci = any(ok(r.ci_low) and ok(r.ci_high) for r in rows)
    return ("<b>%{y}</b> (%{customdata[1]})<br>raw win rate %{customdata[3]:.0%} of %{customdata[2]} closed "
            "deals; shrunk %{customdata[4]:.0%}"
            + (" (interval %{customdata[5]:.0%}–%{customdata[6]:.0%})" if has_ci else "")
            + ("<br>expected %{customdata[7]:.0%} from their behaviours and deal mix"
               if any(ok(r.expected) for r in rows) else "")
            + ("<br>the average rep's behaviour would win %{customdata[8]:.0%} of the same deals"
               if any(ok(r.mix) for r in rows) else "")
            + "<extra></extra>")


REP_SERIES = [("Expected from behaviours and deal mix", lambda r: ok(r.expected), "expected",
               {"symbol": "diamond", "size": 10, "color": "#555"}),
              ("Win rate (shrunk): clearly above expected", above, "actual", {"size": 11, "color": POSITIVE}),
              ("Win rate (shrunk): clearly below expected", below, "actual", {"size": 11, "color": NEGATIVE}),
              ("Win rate (shrunk): within chance of expected", lambda r: not above(r) and not below(r), "actual",
               {"size": 11, "color": NEUTRAL})]


def rep_vs_expected(reps: list[RepRow]) -> Figure:
    """Each rep's best-estimate win rate (with interval when known) against what their deals predict."""
    if not reps:
        return empty("No rep scorecard rows for this team")
    rows = sorted(reps, key=lambda r: r.actual - (r.expected if ok(r.expected) else r.actual))
    labels = [ptext(r.label) for r in rows]
    has_ci = any(ok(r.ci_low) and ok(r.ci_high) for r in rows)
    hover = _rep_hover(rows)
    custom = [[r.url, ptext(r.team), r.closed, _r(r.raw), _r(r.actual), _r(r.ci_low), _r(r.ci_high),
               _r(r.expected), _r(r.mix)] for r in rows]
    gaps = [(label, r) for label, r in zip(labels, rows) if ok(r.expected)]
    raw = [i for i, r in enumerate(rows) if ok(r.raw)]
    traces = [{"type": "scatter", "x": [x for _, r in gaps for x in (_r(r.expected), _r(r.actual), None)],
               "y": [y for label, _ in gaps for y in (label, label, None)], "mode": "lines",
               "line": {"color": "#bbb", "width": 3}, "hoverinfo": "skip", "showlegend": False},
              {"type": "scatter", "x": [_r(rows[i].raw) for i in raw], "y": [labels[i] for i in raw],
               "mode": "markers", "name": "Win rate (raw)",
               "marker": {"symbol": "circle-open", "size": 8, "color": "#777"}, "hoverinfo": "skip"}]
    for name, test, field, marker in REP_SERIES:
        idx = [i for i, r in enumerate(rows) if test(r)]
        if not idx:
            continue
        pick = [rows[i] for i in idx]
        points = {"type": "scatter", "x": [_r(getattr(r, field)) for r in pick], "y": [labels[i] for i in idx],
                  "mode": "markers", "name": name, "marker": marker, "customdata": [custom[i] for i in idx],
                  "hovertemplate": hover}
        if has_ci and field == "actual":
            points["error_x"] = _error_bars(marker["color"], [r.actual for r in pick], [r.ci_low for r in pick],
                                            [r.ci_high for r in pick], digits=3)
        traces.append(points)
    height = 170 + 26 * len(rows)
    return figure(traces, height, hovermode="closest", legend=LEGEND | {"y": 1.0 + 10 / height},
                  xaxis=axis("Win rate", tickformat=".0%", range=[0, 1]),
                  yaxis=axis(type="category", categoryorder="array", categoryarray=labels, automargin=True))


def gap_heatmap(reps: list[str], items: list[str], z: list[list[float | None]],
                rates: list[list[list[float | None]]], urls: list[str]) -> Figure:
    """Reps x behaviour gaps: win-rate points each gap to top performers costs (red) or earns (blue).

    `reps` and `items` are unique raw labels; `rates[i][j]` is [rep_rate, top_rate].
    """
    if not reps or not items:
        return empty("No behaviour gaps for this team")
    top = max((abs(v) for row in z for v in row if ok(v)), default=1.0) or 1.0
    custom = [[[u, *(rate or [None, None])] for rate in row] for u, row in zip(urls, rates)]
    heat = {"type": "heatmap", "z": [[v if ok(v) else None for v in row] for row in z],
            "x": [ptext(i) for i in items], "y": [ptext(r) for r in reps], "customdata": custom,
            "hovertemplate": "<b>%{y}</b><br>%{x}<br>in %{customdata[1]:.0%} of their deals vs %{customdata[2]:.0%} "
                             "for top performers<br>gap: %{z:.1f} win-rate points (positive = costs)<extra></extra>",
            "texttemplate": "%{z:.1f}", "textfont": {"size": 11}, "xgap": 2, "ygap": 2, "zmin": -top, "zmax": top,
            "colorscale": [[0, "#2c7bb6"], [0.5, "#f7f7f7"], [1, "#d7191c"]],
            "colorbar": {"title": {"text": "points<br>lost", "side": "top"}, "thickness": 12}}
    return figure([heat], 260 + 28 * len(reps), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                  xaxis=axis(type="category", tickangle=-35, side="top", automargin=True),
                  yaxis=axis(type="category", autorange="reversed", automargin=True))


@dataclass
class MapNode:
    """One node of a value-map sunburst (raw label, escaped hover)."""

    id: str
    parent: str
    label: str
    hover: str
    color: str


def value_map(nodes: list[MapNode]) -> Figure:
    """A value map as an icicle read left to right: map → role → issue → value propositions and questions."""
    if not nodes:
        return empty("This map has no items")
    parents = {n.parent for n in nodes}
    leaves = sum(1 for n in nodes if n.id not in parents)
    icicle = {"type": "icicle", "ids": [n.id for n in nodes], "parents": [n.parent for n in nodes],
              "labels": [pwrap(cut(n.label, 120), 42) for n in nodes],  # 120 = value_map.LABEL_MAX
              "hovertext": [n.hover for n in nodes], "hoverinfo": "text",
              "marker": {"colors": [n.color for n in nodes], "line": {"color": "white", "width": 1}},
              "tiling": {"orientation": "h"}, "textfont": {"size": 12, "color": "#1f2933"}, "maxdepth": 4,
              "pathbar": {"visible": True, "side": "top"}}
    return figure([icicle], min(1600, max(480, 44 * leaves)), margin={"l": 10, "r": 10, "t": 30, "b": 10})


@dataclass
class AtRisk:
    """An open deal in the at-risk scatter (raw strings)."""

    segment: str
    team: str
    probability: float
    amount: float
    currency: str
    title: str
    action: str
    anchor: str


def at_risk(deals: list[AtRisk], segments: list[str], teams: list[str]) -> Figure:
    """Open deals by win probability and amount: top left is big and unlikely — at risk.

    One trace per (segment, team), tagged for both filters; the legend groups them by segment.
    """
    if not deals:
        return empty("No scored open deals")
    colors = segment_colors(segments)
    amounts = [d.amount for d in deals if ok(d.amount) and d.amount > 0]
    log_y = bool(amounts) and max(amounts) / max(min(amounts), 1e-9) > 50
    traces = []
    for seg in segments:
        first = True
        for team in teams:
            pick = [d for d in deals if d.segment == seg and d.team == team]
            if not pick:
                continue
            traces.append({"type": "scatter", "x": [_r(d.probability) for d in pick],
                           "y": [round(d.amount) for d in pick], "mode": "markers", "name": ptext(seg),
                           "legendgroup": ptext(seg), "showlegend": first, "meta": _tag(segment=seg, team=team),
                           "customdata": [[d.anchor, ptext(d.title), ptext(d.action), ptext(d.currency)]
                                          for d in pick],
                           "hovertemplate": "<b>%{customdata[1]}</b><br>amount %{y:,.0f} %{customdata[3]} · win "
                                            "probability %{x:.0%}<br>next best action: %{customdata[2]}"
                                            "<extra></extra>",
                           "marker": {"color": colors[seg], "size": 9, "opacity": 0.8,
                                      "line": {"width": 0.5, "color": "white"}}})
            first = False
    currencies = sorted({d.currency for d in deals})
    title = f"Amount ({currencies[0]})" if len(currencies) == 1 else "Amount (each deal's currency)"
    scale = {"type": "log", "dtick": "D2"} if log_y else {"type": "linear"}
    return figure(traces, 460, hovermode="closest",
                  xaxis=axis("Win probability", tickformat=".0%", range=[-0.02, 1.02]),
                  yaxis=axis(title, tickformat="~s", **scale))


def probability_bands(bands: pl.DataFrame, segments: list[str]) -> Figure:
    """Open deals per win-probability band, stacked by segment. `bands`: segment, band, deals."""
    if bands.is_empty():
        return empty("No scored open deals")
    colors = segment_colors(segments)
    bars = []
    for seg in segments:
        part = bands.filter(pl.col("segment") == seg).sort("band")
        bars.append({"type": "bar", "x": part["band"].to_list(), "y": part["deals"].to_list(), "name": ptext(seg),
                     "marker": {"color": colors[seg]}, "meta": _tag(segment=seg),
                     "hovertemplate": "<b>%{fullData.name}</b>, win probability %{text}:<br>%{y:,} open deals"
                                      "<extra></extra>",
                     "text": [PROB_BANDS[b] for b in part["band"]], "textposition": "none"})
    return figure(bars, 360, barmode="stack", legend=LEGEND | {"traceorder": "normal"},
                  xaxis=axis("Win probability", tickvals=list(range(10)), ticktext=PROB_BANDS, range=[-0.5, 9.5]),
                  yaxis=axis("Open deals"))


def evidence_color(odds_ratio: float | None, significant: bool | None) -> str:
    """Sunburst colour: green/red shades for significant effects by size, beige if not significant, grey if none."""
    if not ok(odds_ratio) or odds_ratio <= 0:
        return "#e6e6e6"
    if not significant:
        return "#efe6c8"
    strength = min(1.0, abs(math.log(odds_ratio)) / math.log(4))
    base = (27, 127, 59) if odds_ratio >= 1 else (192, 57, 43)
    mix = [round(255 + (c - 255) * (0.35 + 0.65 * strength)) for c in base]
    return "#{:02x}{:02x}{:02x}".format(*mix)
