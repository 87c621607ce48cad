"""drivers.html: adjusted odds ratios and raw lift per segment, with the deals behind each driver."""

from __future__ import annotations

import math

import polars as pl

from valuedata.analysis.features import ATTRIBUTE
from valuedata.analysis.playbook import chance_reason, status_words
from valuedata.dashboards import figures as F
from valuedata.dashboards import limits
from valuedata.dashboards import queries
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.fmt import num, ok, pct, pts, qval, ratio
from valuedata.dashboards.html import Chart, Filter, Markup, drill_href, esc, link, notice, page, pwrap, table
from valuedata.dashboards.labels import ItemText
from valuedata.vocabulary import ALL_SEGMENTS


def segment_key(segment: str) -> str:
    """Filter value of a driver_effects segment: '*' (all deals pooled) is the filter's 'all'."""
    return queries.ALL if segment == ALL_SEGMENTS else segment


def is_significant(row: dict) -> bool:
    """The row's `significant` flag (NULL, for an item without an estimate, is not significant)."""
    return bool(row["significant"])


def evidence_text(row: dict | None) -> str:
    """'Adjusted odds ratio 2.1 (1.6–2.8), q=0.001: significant', why it is not, or the status in words."""
    if row is None:
        return "No estimate: not in the model yet"
    if not ok(row.get("odds_ratio")):
        return "No estimate: " + status_words(row.get("status"), row.get("note"))
    interval = f" ({ratio(row.get('or_ci_low'))}–{ratio(row.get('or_ci_high'))})" \
        if ok(row.get("or_ci_low")) and ok(row.get("or_ci_high")) else ""
    reason = chance_reason(row.get("q_value"), row.get("or_ci_low"), row.get("or_ci_high"))
    verdict = "significant" if is_significant(row) else f"not significant: {reason}" if reason else "not significant"
    return f"Adjusted odds ratio {ratio(row['odds_ratio'])}{interval}, {qval(row.get('q_value'))}: {verdict}"


def driver_hover(item: ItemText, row: dict, caution: str | None) -> str:
    """Hover text explaining a driver's numbers in words, with its look-alike caution (escaped for Plotly)."""
    sentence = (f"{item.with_phrase()}: won {pct(row.get('win_rate_with'))} vs {pct(row.get('win_rate_without'))} "
                f"without (n={num(row.get('deals_with'))}/{num(row.get('deals_without'))}).")
    lift = f"Raw lift {pts(row.get('lift'))} points"
    if ok(row.get("lift_ci_low")) and ok(row.get("lift_ci_high")):
        lift += f" ({pts(row['lift_ci_low'])} to {pts(row['lift_ci_high'])})"
    warn = f"<br><b>⚠ {pwrap(caution)}</b>" if caution else ""
    return f"{pwrap(sentence)}<br>{lift}.<br>{pwrap(evidence_text(row))}.{warn}<br><i>Click to see the deals.</i>"


def ordered_segments(effects: pl.DataFrame, dims: queries.Dimensions) -> list[str]:
    """driver_effects segments shown: pooled first, then the filter's segments by deal count.

    Segments beyond the filter's cap are not shown (their rows stay in analytics.driver_effects).
    """
    present = set(effects["segment"].to_list())
    return [s for s in [ALL_SEGMENTS] + dims.segments if s in present]


def estimated(rows: pl.DataFrame) -> pl.Expr:
    """Rows with an adjusted estimate (a reference level, separation or collinear item has none)."""
    return pl.col("odds_ratio").is_not_null() & (pl.col("odds_ratio") > 0)


def selected(rows: pl.DataFrame) -> pl.DataFrame:
    """The plotted drivers (behaviours) of one segment: estimated ones, significant first, then by q-value, capped."""
    est = rows.filter(estimated(rows) & (pl.col("kind") != ATTRIBUTE))
    return est.sort([pl.col("significant").fill_null(False), pl.col("q_value").fill_null(2.0),
                     pl.col("odds_ratio").log().abs()],
                    descending=[True, False, True]).head(limits.MAX_DRIVERS)


def selection(ctx: Context, effects: pl.DataFrame) -> list[tuple[str, str, str]]:
    """(segment, kind, item_id) of every plotted driver: the drivers the drill-down page covers."""
    out = []
    for seg in ordered_segments(effects, ctx.dims):
        for row in selected(effects.filter(pl.col("segment") == seg)).iter_rows(named=True):
            out.append((seg, row["kind"], row["item_id"]))
    return out


def build(ctx: Context, effects: pl.DataFrame, cautions: dict, notes: pl.DataFrame) -> Page:
    """The drivers page; `notes` (notes_share.sql) says how much of each driver's evidence is from call notes."""
    segments = ordered_segments(effects, ctx.dims)
    if not segments:
        body = [notice("Driver effects not computed yet (analytics.driver_effects is missing or empty): "
                       "run the pipeline with enough closed deals.")]
        return Page("drivers.html", page("Drivers of winning", "drivers.html", body, charts=[], filters=[]),
                    [], ["drivers: analytics.driver_effects not computed yet"])
    quality = {r["segment"]: r for r in ctx.wh.frame("model_quality").iter_rows(named=True)}
    effects = effects.join(notes, on=["segment", "kind", "item_id"], how="left")
    variants, sections = {}, []
    for seg in segments:
        rows = effects.filter(pl.col("segment") == seg)
        plotted = selected(rows)
        drivers = [_driver(ctx, seg, r, cautions) for r in plotted.iter_rows(named=True)]
        variants[segment_key(seg)] = F.forest(drivers)
        sections.append(_segment_section(ctx, seg, rows, plotted, quality.get(seg), cautions))
    chart = Chart("forest", "What goes with winning", variants, ["segment"],
                  help="Left: odds ratio of winning with the item present, adjusted for every other item and the "
                       "deal's own attributes; filled markers are significant after the correction for testing many "
                       "items at once (q < 0.05). Right: the raw difference in win rate with and without it. ⚠ marks "
                       "a look-alike whose effect may be borrowed from another item. Hover for the numbers in "
                       "words; click a point to see the deals behind it. Deal attributes (context, not behaviour) "
                       "are listed under each segment.")
    options = [(segment_key(s), "All deals (pooled)" if s == ALL_SEGMENTS else s) for s in segments]
    filters = [Filter("segment", "Segment", options, options[0][0])]
    body = [chart.markup(), *sections]
    return Page("drivers.html", page("Drivers of winning", "drivers.html", body, charts=[chart], filters=filters),
                [chart])


def _driver(ctx: Context, seg: str, row: dict, cautions: dict) -> F.Driver:
    item = ctx.text.item(row["kind"], row["item_id"], seg)
    caution = cautions.get((seg, row["kind"], row["item_id"]))
    lift = f"Raw lift {pts(row.get('lift'))} points"
    if ok(row.get("lift_ci_low")) and ok(row.get("lift_ci_high")):
        lift += f" ({pts(row['lift_ci_low'])} to {pts(row['lift_ci_high'])})"
    return F.Driver(label=("⚠ " if caution else "") + item.short(), hover=driver_hover(item, row, caution),
                    lift_hover=lift, odds_ratio=row["odds_ratio"],
                    or_low=row["or_ci_low"], or_high=row["or_ci_high"], lift=row["lift"],
                    lift_low=row["lift_ci_low"], lift_high=row["lift_ci_high"], significant=is_significant(row),
                    url=drill_href(segment=seg, kind=row["kind"], item=row["item_id"]))


DRIVER_COLUMNS = ["Driver", "Win rate with", "Win rate without", "Lift (points)", "Adjusted odds ratio", "q",
                  "From call notes", "How to read it", "Deals"]


def _segment_section(ctx: Context, seg: str, rows: pl.DataFrame, plotted: pl.DataFrame,
                     quality: dict | None, cautions: dict) -> Markup:
    """One segment's card: model quality, the plotted drivers' table, what is not shown, the attributes."""
    name = "all deals pooled" if seg == ALL_SEGMENTS else seg
    parts = [f'<section class="card" data-exact-segment="{esc(segment_key(seg))}"><h2>Drivers in {esc(name)}</h2>']
    if quality:
        parts.append(f'<p class="help model-quality">{esc(quality_sentence(quality))}</p>')
    table_rows = [_driver_row(ctx, seg, r, cautions.get((seg, r["kind"], r["item_id"])))
                  for r in plotted.iter_rows(named=True)]
    if table_rows:
        parts.append(table(DRIVER_COLUMNS, table_rows, numeric={1, 2, 3, 4, 5, 6}))
        parts.append('<p class="help">From call notes: the share of the deals with the driver that are known to '
                     'have it only because their notes were read (docs/notes.md); the rest come from the CRM\'s '
                     'fields.</p>')
    parts.append(_not_shown(ctx, seg, rows.filter(pl.col("kind") != ATTRIBUTE), plotted.height))
    parts.append(_attributes(rows.filter(pl.col("kind") == ATTRIBUTE)))
    parts.append("</section>")
    return Markup("".join(parts))


def _driver_row(ctx: Context, seg: str, r: dict, caution: str | None) -> list:
    """One driver's table cells (sortable numbers beside the words)."""
    reason = chance_reason(r["q_value"], r["or_ci_low"], r["or_ci_high"])
    return [
        ctx.text.item(r["kind"], r["item_id"], seg).short(),
        (f"{pct(r['win_rate_with'])} of {num(r['deals_with'])}", _sortable(r["win_rate_with"])),
        (f"{pct(r['win_rate_without'])} of {num(r['deals_without'])}", _sortable(r["win_rate_without"])),
        (pts(r["lift"]), _sortable(r["lift"])),
        (f"{ratio(r['odds_ratio'])} ({ratio(r['or_ci_low'])}–{ratio(r['or_ci_high'])})",
         _sortable(math.log(r["odds_ratio"]))),
        (qval(r["q_value"]).removeprefix("q=").removeprefix("q"), _sortable(r["q_value"])),
        (_from_notes(r.get("notes_share")), _sortable(r.get("notes_share"))),
        f"⚠ {caution}" if caution else "clear" if is_significant(r) else f"not clear: {reason or 'no q-value'}",
        link(drill_href(segment=seg, kind=r["kind"], item=r["item_id"]), "deals →")]


def _not_shown(ctx: Context, seg: str, behaviours: pl.DataFrame, plotted: int) -> str:
    """How many estimated drivers the chart leaves out, and the items with no separate estimate and why."""
    missing = behaviours.filter(~estimated(behaviours))
    parts = []
    hidden = behaviours.height - missing.height - plotted
    if hidden > 0:
        parts.append(f'<p class="help">{hidden} more estimated drivers are not shown (the chart keeps the '
                     f'{limits.MAX_DRIVERS} with the most evidence); query analytics.driver_effects for all of '
                     'them.</p>')
    if not missing.is_empty():
        items = "".join(
            f"<li>{esc(ctx.text.item(r['kind'], r['item_id'], seg).short())} — "
            f"{esc(status_words(r['status'], r['note']))} ({esc(num(r['deals_with']))} closed deals with it, "
            f"{esc(num(r['deals_without']))} without)</li>" for r in missing.iter_rows(named=True))
        parts.append(f'<h3>No separate estimate ({missing.height})</h3><ul class="na">{items}</ul>')
    return "".join(parts)


def _attributes(rows: pl.DataFrame) -> str:
    """Deal attributes' adjusted effects: context for the behaviours, not something a rep does."""
    if rows.is_empty():
        return ""
    body = []
    for r in rows.sort("q_value", nulls_last=True).iter_rows(named=True):
        if ok(r["odds_ratio"]) and r["odds_ratio"] > 0:
            shown = f"{ratio(r['odds_ratio'])} ({ratio(r['or_ci_low'])}–{ratio(r['or_ci_high'])})"
            reading = "clear" if is_significant(r) else "not clear: " + (
                chance_reason(r["q_value"], r["or_ci_low"], r["or_ci_high"]) or "no q-value")
            if r["note"]:
                reading += f" ({r['note']})"
        else:
            shown, reading = "—", status_words(r["status"], r["note"])
        body.append([r["item_id"], shown, qval(r["q_value"]).removeprefix("q=").removeprefix("q"), reading])
    return ('<h3>Context: deal attributes (not behaviours)</h3><p class="help">What the deal is, not what the rep '
            "does: each level against the reference level named, a number per standard deviation. The behaviours "
            "above are adjusted for these.</p>"
            + table(["Deal attribute", "Adjusted odds ratio", "q", "How to read it"], body, numeric={1, 2}))


def _from_notes(share: float | None) -> str:
    return "none" if not ok(share) or share == 0 else pct(share)


def _sortable(x: float | None) -> str:
    return f"{x:.6g}" if ok(x) else ""


def quality_sentence(m: dict) -> str:
    """The segment's models in plain words: what scores open deals, how well, checked how."""
    bits = [f"Fit on {num(m.get('closed_deals'))} closed deals"]
    scorer = {"logistic": "the logistic model (the one behind the odds ratios)",
              "gradient_boosting": "a gradient-boosting model (more accurate here than the logistic one)"}
    if m.get("scoring_model"):
        bits.append("open deals are scored by " + scorer.get(m["scoring_model"], m["scoring_model"]))
    if ok(m.get("auc_cv")):
        bits.append(f"it ranks a won deal above a lost one {m['auc_cv']:.0%} of the time (cross-validated AUC "
                    f"{m['auc_cv']:.2f}; 0.5 = coin toss, 1 = perfect)")
    if ok(m.get("auc_cv_explanatory")) and m.get("scoring_model") != "logistic":
        bits.append(f"the logistic model behind the odds ratios: AUC {m['auc_cv_explanatory']:.2f}")
    if ok(m.get("brier_cv")) and ok(m.get("baseline_brier")):
        bits.append(f"Brier score {m['brier_cv']:.3f} vs {m['baseline_brier']:.3f} for always guessing the "
                    "average win rate (lower is better)")
    if m.get("cv_scheme"):
        bits.append(f"checked on deals it was not fit on: {m['cv_scheme']}")
    sentence = "; ".join(bits) + "."
    if m.get("better_than_baseline") is False:
        sentence += (" It does not beat always guessing the average win rate: its scores and next best actions "
                     "are not to be relied on.")
    return sentence
