"""index.html: win rate over time, pipeline, key-player coverage vs win rate, data freshness, quarantine."""

from __future__ import annotations

from datetime import date, datetime, timezone

import polars as pl

from valuedata.dashboards import figures as F
from valuedata.dashboards import limits
from valuedata.dashboards import queries
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.fmt import money, num, pct
from valuedata.dashboards.html import Chart, Filter, Markup, esc, notice, page, table

GRAINS = {"quarter": ("Quarter", limits.QUARTERS_SHOWN), "month": ("Month", limits.MONTHS_SHOWN)}


def build(ctx: Context) -> Page:
    """The overview page."""
    wh, dims = ctx.wh, ctx.dims
    notes: list[str] = []
    if not wh.deals:
        notes.append("overview: core.deals is empty")
        body = [notice("No deals loaded yet: run `valuedata run` to load the input folder.")]
        return Page("index.html", page("Overview", "index.html", body, charts=[], filters=[]), [], notes)
    pipe = wh.frame("pipeline_by_quarter")
    closed = int(pipe.filter(pl.col("outcome") != "open")["deals"].sum())
    counts, amounts = queries.headline_counts(wh, dims)
    charts = [winrate_chart(ctx, wh.frame("closed_by_month"), closed), pipeline_chart(ctx, pipe)]
    cov = wh.frame("coverage_bins")
    if cov.is_empty():
        notes.append("overview: analytics.deal_coverage not computed yet")
    charts.append(coverage_chart(ctx, cov))
    tiles = tile_variants(ctx, counts, amounts)
    body = [_tiles(tiles["labels"], tiles["values"]["|".join([queries.ALL] * 3)]), Markup('<div class="grid2">'), charts[1].markup(),
            charts[2].markup(), Markup("</div>"), charts[0].markup(), _freshness(ctx)]
    filters = [ctx.segment_filter(), ctx.team_filter(), ctx.period_filter(),
               Filter("grain", "Win rate by", [(g, label) for g, (label, _) in GRAINS.items()], "quarter")]
    return Page("index.html", page("Overview", "index.html", body, charts=charts, filters=filters,
                                   periods=ctx.periods_js(), extra={"tiles": tiles}), charts, notes)


def _period_start(d: date, grain: str) -> date:
    return date(d.year, d.month if grain == "month" else 3 * ((d.month - 1) // 3) + 1, 1)


def winrate_series(months: pl.DataFrame, grain: str, latest: date | None) -> pl.DataFrame:
    """Monthly counts rolled up to `grain`, keeping the latest periods: segment, x, won, closed."""
    if months.is_empty() or latest is None:
        return pl.DataFrame(schema={"segment": pl.String, "x": pl.String, "won": pl.Int64, "closed": pl.Int64})
    step = 1 if grain == "month" else 3
    first = queries.shift_months(_period_start(latest, grain), -step * (GRAINS[grain][1] - 1))
    rolled = (months.filter(pl.col("month") >= first)
              .with_columns(pl.col("month").alias("p") if grain == "month" else
                            pl.date(pl.col("month").dt.year(), (pl.col("month").dt.month() - 1) // 3 * 3 + 1, 1)
                            .alias("p"))
              .group_by("segment", "p").agg(pl.col("won").sum(), pl.col("closed").sum()))
    return rolled.select("segment", pl.col("p").dt.strftime("%Y-%m-%d").alias("x"), "won", "closed") \
        .sort("segment", "x")


def _by_team(frame: pl.DataFrame, team: str) -> pl.DataFrame:
    return frame if team == queries.ALL else frame.filter(pl.col("team") == team)


def _in_period(frame: pl.DataFrame, period: queries.Period) -> pl.DataFrame:
    if period.start is None:
        return frame
    return frame.filter((pl.col("quarter") >= period.start) & (pl.col("quarter") < period.end))


def winrate_chart(ctx: Context, months: pl.DataFrame, closed: int) -> Chart:
    """Win rate over time by segment, per team and grain; the period filter sets the x range.

    `closed` counts every closed deal: when there are some but none has a close date, the chart says so.
    """
    if months.is_empty() and closed:
        undated = F.empty(f"The {num(closed)} closed deals have no close date (closed_at), so their win rate "
                          "cannot be placed in time")
        return Chart("winrate", "Win rate over time", {queries.ALL: undated}, [])
    variants = {}
    for team in ctx.teams():
        for grain in GRAINS:
            series = winrate_series(_by_team(months, team), grain, ctx.dims.latest)
            variants[f"{team}|{grain}"] = F.winrate_time(series, ctx.dims.segments, grain)
    return Chart("winrate", "Win rate over time", variants, ["team", "grain"], period_axis=True,
                 help="Closed deals by the month or quarter they closed: won ÷ (won + lost). The black line "
                      "pools every segment; click legend entries to hide or show segments.")


def pipeline_chart(ctx: Context, pipe: pl.DataFrame) -> Chart:
    """Open / won / lost counts per team and period, stacked by segment."""
    variants = {}
    for team in ctx.teams():
        for period in ctx.dims.periods:
            part = _in_period(_by_team(pipe, team), period)
            counts = part.group_by("segment", "outcome").agg(pl.col("deals").sum())
            variants[f"{team}|{period.id}"] = F.pipeline(counts, ctx.dims.segments)
    return Chart("pipeline", "Pipeline", variants, ["team", "period"],
                 help="Won and lost deals by the date they closed, open deals by the date they were created.")


def coverage_chart(ctx: Context, cov: pl.DataFrame) -> Chart:
    """Win rate by key-player coverage bin, per team and period."""
    variants = {}
    shown = sorted(set(cov["bin"].to_list()))
    for team in ctx.teams():
        for period in ctx.dims.periods:
            part = _in_period(_by_team(cov, team), period)
            bins = part.group_by("segment", "bin").agg(pl.col("won").sum(), pl.col("closed").sum())
            variants[f"{team}|{period.id}"] = F.coverage_winrate(bins, ctx.dims.segments, shown) if shown \
                else F.empty("Key-player coverage not computed yet")
    return Chart("coverage", "Key-player coverage against win rate", variants, ["team", "period"],
                 help="Closed deals grouped by the share of the map's key players engaged. Bars: all segments "
                      "with a 95% interval and the number of deals; lines: each segment.")


def tile_variants(ctx: Context, counts: pl.DataFrame, amounts: pl.DataFrame) -> dict:
    """The headline cards for every (segment, team, period) of the filters: {"labels": [...], "values":
    {'segment|team|period': [...]}}.

    `counts` and `amounts` come from queries.headline_counts; open amounts are given per currency (the
    currencies with the most open deals, capped), never added across currencies.
    """
    by_key = {(r["segment"], r["team"], r["period"]): r for r in counts.iter_rows(named=True)}
    money_by: dict[tuple[str, str, str], dict[str, float]] = {}
    for r in amounts.iter_rows(named=True):
        money_by.setdefault((r["segment"], r["team"], r["period"]), {})[r["currency"]] = r["amount"]
    overall = amounts.filter((pl.col("segment") == queries.ALL) & (pl.col("team") == queries.ALL) & (pl.col("period") == queries.ALL))
    currencies = overall.sort(["deals", "currency"], descending=[True, False])["currency"].to_list()
    currencies = currencies[:limits.MAX_CURRENCIES]
    values = {}
    for seg in [queries.ALL] + ctx.dims.segments:
        for team in ctx.teams():
            for period in ctx.dims.periods:
                key = (seg, team, period.id)
                values["|".join(key)] = _tile_values(by_key.get(key, {}), money_by.get(key, {}), currencies)
    labels = ["Deals", "Closed", "Win rate (raw)", "Open deals", *[f"Open amount ({c})" for c in currencies], "Reps"]
    return {"labels": labels, "values": values}


def _tile_values(row: dict, amounts: dict[str, float], currencies: list[str]) -> list[str]:
    """The value of each card for one selection, in the order of tile_variants' labels."""
    closed = row.get("closed") or 0
    return [num(row.get("deals") or 0), num(closed), pct(row["won"] / closed) if closed else "n/a",
            num(row.get("open") or 0), *[money(amounts.get(cur, 0), cur) for cur in currencies],
            num(row.get("reps") or 0)]


def _tiles(labels: list[str], values: list[str]) -> Markup:
    cells = "".join(f'<div class="tile"><div class="v">{esc(v)}</div><div class="k">{esc(k)}</div></div>'
                    for k, v in zip(labels, values))
    return Markup(f'<div class="tiles" id="tiles">{cells}</div><p class="help tiles-help">Deals of the selected '
                  "segment, team and period: closed deals by the date they closed, open deals by the date they "
                  "were created. Amounts are per currency, never added across currencies.</p>")


def _freshness(ctx: Context) -> Markup:
    wh = ctx.wh
    loads = wh.frame("latest_loads")
    built = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    facts = [("Latest deal date", ctx.dims.latest),
             ("Latest load", loads["loaded_at"].max() if not loads.is_empty() else "no load recorded"),
             ("Run", loads["run_id"][0] if not loads.is_empty() else "n/a"), ("Dashboards built", built)]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    parts = [f'<section class="card"><h2>Data freshness</h2><dl class="facts">{dl}</dl>']
    if not loads.is_empty():
        rows = [[r["file"], r["rows_read"], r["rows_loaded"], r["rows_quarantined"]]
                for r in loads.iter_rows(named=True)]
        parts.append(table(["File", "Rows read", "Loaded", "Newly quarantined"], rows, numeric={1, 2, 3},
                           caption="Files of the latest run"))
    parts.append("</section>")
    parts.append(_call_notes(wh))
    parts.append(_quarantine(wh))
    return Markup('<div class="grid2">' + "".join(parts) + "</div>" + _unmapped(ctx))


def _call_notes(wh: queries.WarehouseReader) -> str:
    """How many engagements carry tags read from their call notes, and how many items are read from notes."""
    n = wh.frame("notes_engagements").row(0, named=True)
    share = n["tagged_from_notes"] / n["engagements"] if n["engagements"] else None
    facts = [("Engagements", num(n["engagements"])), ("With call notes", num(n["with_notes"])),
             ("Tagged from their notes", f"{num(n['tagged_from_notes'])} ({pct(share)})"),
             ("Items read from notes", f"{num(n['items_used'])} of {num(n['items_measured'])} measured")]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    return (f'<section class="card" id="call-notes"><h2>Read from call notes</h2><dl class="facts">{dl}</dl>'
            '<p class="help">Value propositions, issues and questions found in the notes of engagements whose '
            "CRM tag fields are empty; an item counts only where its notes are read with a cross-validated "
            "precision of at least 95% (analytics.tagging_quality, docs/notes.md).</p></section>")


def _quarantine(wh: queries.WarehouseReader) -> str:
    """What audit.quarantine holds now, by file and rule (a rerun of unchanged files keeps showing it)."""
    quarantine = queries.quarantine_counts(wh)
    parts = ['<section class="card" id="quarantine"><h2>Rows set aside (quarantined)</h2>']
    if quarantine.is_empty():
        parts.append(notice("No rows are set aside: every row of the input files loaded."))
    else:
        total = int(quarantine["total"][0])
        rows = [[r["file"], r["rule"], r["rows"]] for r in quarantine.iter_rows(named=True)]
        parts.append(table(["File", "Rule", "Rows"], rows, numeric={2},
                           caption=f"{num(total)} rows of the current input are set aside, by file and rule"))
        parts.append('<p class="help">See the rows themselves, with how to fix each, with <code>valuedata sql '
                     '"SELECT file, line, rule, detail FROM audit.quarantine"</code>.</p>')
    parts.append("</section>")
    return "".join(parts)


def _unmapped(ctx: Context) -> str:
    """The most frequent unmapped contact titles, one table per segment of the filter (shown for that segment)."""
    titles = queries.unmapped_titles(ctx.wh)
    if titles.is_empty():
        return ""
    parts = ['<section class="card" id="unmapped"><h2>Contact titles matching no role</h2>']
    for seg in [queries.ALL] + ctx.dims.segments:
        part = titles.filter(pl.col("segment") == seg)
        shown = (table(["Contact title", "Engagements"], [[r["title"], r["engagements"]]
                                                          for r in part.iter_rows(named=True)], numeric={1},
                       caption="Most frequent first: add them to a role's title_patterns")
                 if not part.is_empty() else notice("Every contact title in this segment matches a role."))
        parts.append(f'<div data-exact-segment="{esc(seg)}">{shown}</div>')
    parts.append("</section>")
    return "".join(parts)
