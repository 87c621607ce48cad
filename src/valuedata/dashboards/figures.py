"""Figure builders: small aggregated data in, go.Figure out. Every data string is escaped here (ptext)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from valuedata.dashboards.fmt import num, ok, wilson
from valuedata.dashboards.html import cut, ptext, pwrap
from valuedata.dashboards.limits import LABEL_CHARS

THEME = "plotly_white"
WON, LOST, OPEN = "#2a9d8f", "#d1495b", "#8d99ae"
POSITIVE, NEGATIVE, NEUTRAL = "#1b7f3b", "#c0392b", "#9aa0a6"
PALETTE = qualitative.Safe + qualitative.Pastel
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
COVERAGE_BINS = ["None", "1–25%", "26–50%", "51–75%", "76–99%", "All"]
LOG_TICKS = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50]
PROB_BANDS = [f"{10 * i}–{10 * i + 10}%" for i in range(10)]


def segment_colors(segments: list[str]) -> dict[str, str]:
    """A stable colour per segment."""
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(segments)}


def themed(fig: go.Figure) -> go.Figure:
    """A copy with the page theme applied (pages share one theme file; PNG export needs it per figure)."""
    return go.Figure(fig).update_layout(template=THEME)


def _layout(fig: go.Figure, height: int, **overrides: object) -> go.Figure:
    layout = {"height": height, "font": FONT, "hoverlabel": {"align": "left"},
              "modebar": {"orientation": "v"},  # down the right edge: never over a legend along the top
              "margin": {"l": 10, "r": 20, "t": 40, "b": 10},
              "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}}
    fig.update_layout(**(layout | overrides))
    return fig


def _tag(**filters: str) -> dict:
    """Trace meta read by dashboard.js: hide the trace unless the page filter is 'all' or matches."""
    return {"filter": filters}


def empty(message: str, height: int = 220) -> go.Figure:
    """A figure that says why there is nothing to plot."""
    fig = go.Figure()
    fig.add_annotation(text=ptext(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 15, "color": "#555"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height)


def winrate_time(series: pl.DataFrame, segments: list[str], grain: str) -> go.Figure:
    """Win rate per period: one line for all segments, one per segment (tagged for the segment filter).

    `series`: segment, x (ISO date of the period start), won, closed. Every segment gets a trace, empty or not,
    so that variants share one structure.
    """
    if series.is_empty():
        return empty("No closed deals in this selection")
    colors = segment_colors(segments)
    total = series.group_by("x").agg(pl.col("won").sum(), pl.col("closed").sum()).sort("x")
    when = "%{x|%b %Y}" if grain == "month" else "quarter from %{x|%b %Y}"
    fig = go.Figure()
    groups = [("All segments", total, "#222", None)] + [
        (s, series.filter(pl.col("segment") == s).sort("x"), colors[s], s) for s in segments]
    for name, frame, color, seg in groups:
        fig.add_scatter(x=frame["x"].to_list(), y=[round(w / c, 3) for w, c in zip(frame["won"], frame["closed"])],
                        customdata=[[w, c] for w, c in zip(frame["won"], frame["closed"])],
                        name=ptext(name), mode="lines+markers",
                        line={"color": color, "width": 3.5 if seg is None else 2},
                        marker={"size": 7 if seg is None else 5}, meta=_tag(segment=seg) if seg else None,
                        hovertemplate=f"<b>%{{fullData.name}}</b>, {when}<br>won %{{customdata[0]}} of "
                                      "%{customdata[1]} closed deals (%{y:.0%})<extra></extra>")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], title="Win rate (won ÷ closed)")
    fig.update_xaxes(type="date", title="Closed in")
    return _layout(fig, 420, hovermode="closest")


def pipeline(counts: pl.DataFrame, segments: list[str]) -> go.Figure:
    """Open / won / lost deal counts, stacked by segment. `counts`: segment, outcome, deals."""
    if counts.is_empty():
        return empty("No deals in this selection")
    colors = segment_colors(segments)
    fig = go.Figure()
    order = [("open", "Open"), ("won", "Won"), ("lost", "Lost")]
    for seg in segments:
        by = {r["outcome"]: r for r in counts.filter(pl.col("segment") == seg).iter_rows(named=True)}
        fig.add_bar(x=[label for _, label in order], y=[by.get(o, {}).get("deals", 0) for o, _ in order],
                    name=ptext(seg), marker_color=colors[seg], meta=_tag(segment=seg),
                    hovertemplate="<b>%{fullData.name}</b>: %{y:,} %{x} deals<extra></extra>")
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_yaxes(title="Deals")
    return _layout(fig, 380)


def coverage_winrate(bins: pl.DataFrame, segments: list[str], shown: list[int]) -> go.Figure:
    """Win rate by key-player coverage bin: bars for all segments (95% interval), a line per segment.

    `bins`: segment, bin (0..5), won, closed; `shown`: the bins any deal falls in (the axis of every variant).
    """
    if bins.is_empty():
        return empty("No closed deals with coverage in this selection")
    colors = segment_colors(segments)
    fig = go.Figure()
    total = bins.group_by("bin").agg(pl.col("won").sum(), pl.col("closed").sum()).sort("bin")
    rates = [w / c for w, c in zip(total["won"], total["closed"])]
    ci = [wilson(w, c) for w, c in zip(total["won"], total["closed"])]
    hover = ("<b>%{fullData.name}</b>, %{x} of key players met:<br>won %{customdata[0]:,} of "
             "%{customdata[1]:,} closed deals (%{y:.0%})<extra></extra>")
    fig.add_bar(x=[COVERAGE_BINS[b] for b in total["bin"]], y=[round(r, 3) for r in rates], name="All segments",
                marker_color="#c9d6df", error_y={"type": "data", "color": "#555",
                                                 "array": [round(hi - r, 3) for r, (_, hi) in zip(rates, ci)],
                                                 "arrayminus": [round(r - lo, 3) for r, (lo, _) in zip(rates, ci)]},
                text=[f"n={num(c)}" for c in total["closed"]], textposition="inside", insidetextanchor="start",
                customdata=[[w, c] for w, c in zip(total["won"], total["closed"])],
                hovertemplate=hover)
    for seg in segments:
        part = bins.filter(pl.col("segment") == seg).sort("bin")
        fig.add_scatter(x=[COVERAGE_BINS[b] for b in part["bin"]],
                        y=[round(w / c, 3) for w, c in zip(part["won"], part["closed"])],
                        customdata=[[w, c] for w, c in zip(part["won"], part["closed"])],
                        name=ptext(seg), mode="lines+markers", line={"color": colors[seg]},
                        meta=_tag(segment=seg), hovertemplate=hover)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[COVERAGE_BINS[b] for b in shown],
                     range=[-0.5, len(shown) - 0.5], title="Share of key players met")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], title="Win rate")
    return _layout(fig, 400)


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


def forest(drivers: list[Driver]) -> go.Figure:
    """Adjusted odds ratios (log x) with intervals beside the raw lift in win rate, one row per driver."""
    if not drivers:
        return empty("No driver has an estimate in this segment yet")
    rows = sorted(drivers, key=lambda d: d.odds_ratio)  # bottom to top: strongest positive on top
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.62, 0.38], horizontal_spacing=0.03,
                        subplot_titles=("Adjusted odds ratio, 95% interval (log scale)",
                                        "Raw lift in win rate, points (95% interval)"))
    for name, color, test, symbol in FOREST_GROUPS:
        idx = [i for i, d in enumerate(rows) if test(d)]
        pick = [rows[i] for i in idx]
        marker = {"color": color, "size": 10, "symbol": symbol, "line": {"width": 2, "color": color}}
        if pick:
            fig.add_scatter(
                x=[round(d.odds_ratio, 4) for d in pick], y=idx, mode="markers", name=name, marker=marker,
                error_x=_error_bars(color, [d.odds_ratio for d in pick], [d.or_low for d in pick],
                                    [d.or_high for d in pick]),
                hovertext=[d.hover for d in pick], hoverinfo="text", customdata=[d.url for d in pick],
                legendgroup=name, row=1, col=1)
        lifted = [(i, d) for i, d in zip(idx, pick) if ok(d.lift)]
        if lifted:
            fig.add_scatter(
                x=[round(d.lift * 100, 2) for _, d in lifted], y=[i for i, _ in lifted], mode="markers",
                name=name, marker=marker, showlegend=False, legendgroup=name,
                error_x=_error_bars(color, [d.lift for _, d in lifted], [d.lift_low for _, d in lifted],
                                    [d.lift_high for _, d in lifted], scale=100, digits=2),
                hovertext=[d.lift_hover for _, d in lifted], hoverinfo="text",
                customdata=[d.url for _, d in lifted], row=1, col=2)
    _forest_axes(fig, rows)
    height = 150 + 40 * len(rows)
    return _layout(fig, height, hovermode="closest",
                   legend={"orientation": "h", "yanchor": "bottom", "y": 1.04 + 30 / height, "x": 0})


def _forest_axes(fig: go.Figure, rows: list[Driver]) -> None:
    """The no-effect lines (odds ratio 1, lift 0), log ticks spanning the intervals and the driver labels."""
    span = [-0.6, len(rows) - 0.4]
    for x, col in ((1, 1), (0, 2)):
        fig.add_scatter(x=[x, x], y=span, mode="lines", line={"color": "#444", "dash": "dash", "width": 1},
                        hoverinfo="skip", showlegend=False, row=1, col=col)
    lows = [d.or_low if ok(d.or_low) else d.odds_ratio for d in rows]
    highs = [d.or_high if ok(d.or_high) else d.odds_ratio for d in rows]
    ticks = [t for t in LOG_TICKS if min(lows) / 1.5 <= t <= max(highs) * 1.5] or [1]
    fig.update_xaxes(type="log", row=1, col=1, title="← fewer wins · more wins →", tickvals=ticks,
                     ticktext=[f"{t:g}×" for t in ticks])
    fig.update_xaxes(row=1, col=2, title="points", zeroline=False)
    fig.update_yaxes(tickvals=list(range(len(rows))), ticktext=[pwrap(cut(d.label, 2 * LABEL_CHARS), LABEL_CHARS)
                                                                for d in rows],
                     range=span, automargin=True, showgrid=True, gridcolor="#f0f0f0", row=1, col=1)


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


def _r(x: float | None) -> float | None:
    return round(x, 3) if ok(x) else None


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


def rep_vs_expected(reps: list[RepRow]) -> go.Figure:
    """Each rep's best-estimate win rate (with interval when known) against what their deals predict."""
    if not reps:
        return empty("No rep scorecard rows for this team")
    rows = sorted(reps, key=lambda r: r.actual - (r.expected if ok(r.expected) else r.actual))
    labels = [ptext(r.label) for r in rows]
    has_ci = any(ok(r.ci_low) and ok(r.ci_high) for r in rows)
    hover = _rep_hover(rows)
    custom = [[r.url, ptext(r.team), r.closed, _r(r.raw), _r(r.actual), _r(r.ci_low), _r(r.ci_high),
               _r(r.expected), _r(r.mix)] for r in rows]
    fig = go.Figure()
    gaps = [(label, r) for label, r in zip(labels, rows) if ok(r.expected)]
    fig.add_scatter(x=[x for _, r in gaps for x in (_r(r.expected), _r(r.actual), None)],
                    y=[y for label, _ in gaps for y in (label, label, None)], mode="lines",
                    line={"color": "#bbb", "width": 3}, hoverinfo="skip", showlegend=False)
    raw = [i for i, r in enumerate(rows) if ok(r.raw)]
    fig.add_scatter(x=[_r(rows[i].raw) for i in raw], y=[labels[i] for i in raw], mode="markers",
                    name="Win rate (raw)", marker={"symbol": "circle-open", "size": 8, "color": "#777"},
                    hoverinfo="skip")
    for name, test, field, marker in REP_SERIES:
        idx = [i for i, r in enumerate(rows) if test(r)]
        if not idx:
            continue
        pick = [rows[i] for i in idx]
        err = (_error_bars(marker["color"], [r.actual for r in pick], [r.ci_low for r in pick],
                           [r.ci_high for r in pick], digits=3) if has_ci and field == "actual" else None)
        fig.add_scatter(x=[_r(getattr(r, field)) for r in pick], y=[labels[i] for i in idx], mode="markers",
                        name=name, marker=marker, error_x=err, customdata=[custom[i] for i in idx],
                        hovertemplate=hover)
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title="Win rate")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, automargin=True)
    height = 170 + 26 * len(rows)
    return _layout(fig, height, hovermode="closest",
                   legend={"orientation": "h", "yanchor": "bottom", "y": 1.0 + 10 / height, "x": 0})


def gap_heatmap(reps: list[str], items: list[str], z: list[list[float | None]],
                rates: list[list[list[float | None]]], urls: list[str]) -> go.Figure:
    """Reps x behaviour gaps: win-rate points each gap to top performers costs (red) or earns (blue).

    `reps` and `items` are unique raw labels; `rates[i][j]` is [rep_rate, top_rate].
    """
    if not reps or not items:
        return empty("No behaviour gaps for this team")
    top = max((abs(v) for row in z for v in row if ok(v)), default=1.0) or 1.0
    custom = [[[u, *(rate or [None, None])] for rate in row] for u, row in zip(urls, rates)]
    fig = go.Figure(go.Heatmap(
        z=z, x=[ptext(i) for i in items], y=[ptext(r) for r in reps], customdata=custom,
        hovertemplate="<b>%{y}</b><br>%{x}<br>in %{customdata[1]:.0%} of their deals vs %{customdata[2]:.0%} for "
                      "top performers<br>gap: %{z:.1f} win-rate points (positive = costs)<extra></extra>",
        texttemplate="%{z:.1f}", textfont={"size": 11}, xgap=2, ygap=2, zmin=-top, zmax=top,
        colorscale=[[0, "#2c7bb6"], [0.5, "#f7f7f7"], [1, "#d7191c"]],
        colorbar={"title": {"text": "points<br>lost", "side": "top"}, "thickness": 12}))
    fig.update_xaxes(type="category", tickangle=-35, side="top", automargin=True)
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    return _layout(fig, 260 + 28 * len(reps), margin={"l": 10, "r": 10, "t": 10, "b": 10})


@dataclass
class MapNode:
    """One node of a value-map sunburst (raw label, escaped hover)."""

    id: str
    parent: str
    label: str
    hover: str
    color: str


def value_map(nodes: list[MapNode]) -> go.Figure:
    """A value map as an icicle read left to right: map → role → issue → value propositions and questions."""
    if not nodes:
        return empty("This map has no items")
    parents = {n.parent for n in nodes}
    leaves = sum(1 for n in nodes if n.id not in parents)
    fig = go.Figure(go.Icicle(
        ids=[n.id for n in nodes], parents=[n.parent for n in nodes],
        labels=[pwrap(cut(n.label, 120), 42) for n in nodes],  # 120 = value_map.LABEL_MAX
        hovertext=[n.hover for n in nodes], hoverinfo="text",
        marker={"colors": [n.color for n in nodes], "line": {"color": "white", "width": 1}},
        tiling={"orientation": "h"}, textfont={"size": 12, "color": "#1f2933"}, maxdepth=4,
        pathbar={"visible": True, "side": "top"}))
    return _layout(fig, min(1600, max(480, 44 * leaves)), margin={"l": 10, "r": 10, "t": 30, "b": 10})


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


def at_risk(deals: list[AtRisk], segments: list[str], teams: list[str]) -> go.Figure:
    """Open deals by win probability and amount: top left is big and unlikely — at risk.

    One trace per (segment, team), tagged for both filters; the legend groups them by segment.
    """
    if not deals:
        return empty("No scored open deals")
    colors = segment_colors(segments)
    fig = go.Figure()
    amounts = [d.amount for d in deals if ok(d.amount) and d.amount > 0]
    log_y = bool(amounts) and max(amounts) / max(min(amounts), 1e-9) > 50
    for seg in segments:
        first = True
        for team in teams:
            pick = [d for d in deals if d.segment == seg and d.team == team]
            if not pick:
                continue
            fig.add_scatter(x=[round(d.probability, 3) for d in pick], y=[round(d.amount) for d in pick],
                            mode="markers", name=ptext(seg), legendgroup=ptext(seg), showlegend=first,
                            meta=_tag(segment=seg, team=team),
                            customdata=[[d.anchor, ptext(d.title), ptext(d.action), ptext(d.currency)]
                                        for d in pick],
                            hovertemplate="<b>%{customdata[1]}</b><br>amount %{y:,.0f} %{customdata[3]} · win "
                                          "probability %{x:.0%}<br>next best action: %{customdata[2]}"
                                          "<extra></extra>",
                            marker={"color": colors[seg], "size": 9, "opacity": 0.8,
                                    "line": {"width": 0.5, "color": "white"}})
            first = False
    fig.update_xaxes(tickformat=".0%", range=[-0.02, 1.02], title="Win probability")
    currencies = sorted({d.currency for d in deals})
    fig.update_yaxes(title=f"Amount ({currencies[0]})" if len(currencies) == 1 else "Amount (each deal's currency)",
                     type="log" if log_y else "linear", tickformat="~s",
                     dtick="D2" if log_y else None)
    return _layout(fig, 460, hovermode="closest")


def probability_bands(bands: pl.DataFrame, segments: list[str]) -> go.Figure:
    """Open deals per win-probability band, stacked by segment. `bands`: segment, band, deals."""
    if bands.is_empty():
        return empty("No scored open deals")
    colors = segment_colors(segments)
    fig = go.Figure()
    for seg in segments:
        part = bands.filter(pl.col("segment") == seg).sort("band")
        fig.add_bar(x=part["band"].to_list(), y=part["deals"].to_list(), name=ptext(seg),
                    marker_color=colors[seg], meta=_tag(segment=seg),
                    hovertemplate="<b>%{fullData.name}</b>, win probability %{text}:<br>%{y:,} open deals"
                                  "<extra></extra>",
                    text=[PROB_BANDS[b] for b in part["band"]], textposition="none")
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(tickvals=list(range(10)), ticktext=PROB_BANDS, range=[-0.5, 9.5], title="Win probability")
    fig.update_yaxes(title="Open deals")
    return _layout(fig, 360)


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
