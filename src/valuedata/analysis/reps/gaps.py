"""Behaviour gaps: per rep and map item, the gap to the top performers and the win-rate points it costs."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import sparse, special, stats

from valuedata.analysis.features import KIND_ORDER, item_catalogue
from valuedata.analysis.scored import ScoredGroup
from valuedata.analysis.stats import bh_qvalues
from valuedata.vocabulary import ITEM_LISTS, SIGNIFICANCE

EFFECT_ROWS = 25_000  # deals whose item effects are computed at a time (a few (rows x items) temporaries each)

GAPS_SCHEMA = {
    "rep_id": pl.Utf8,
    "kind": pl.Utf8,
    "item_id": pl.Utf8,
    "rep_rate": pl.Float64,
    "top_rate": pl.Float64,
    "contribution": pl.Float64,
    "contribution_points": pl.Float64,
    "text": pl.Utf8,
    "role_id": pl.Utf8,
    "rep_deals": pl.Int64,
    "top_deals": pl.Int64,
    "gap_p_value": pl.Float64,
    "gap_q_value": pl.Float64,
    "odds_ratio": pl.Float64,
    "driver_q_value": pl.Float64,
    "driver_significant": pl.Boolean,
    "significant": pl.Boolean,
    "coach": pl.Boolean,
    "evidence": pl.Utf8,
    "rank": pl.Int64,
}


def gaps(closed: pl.DataFrame, groups: list[ScoredGroup], deal_scores: pl.DataFrame, items: pl.DataFrame,
         roles: pl.DataFrame, scorecard: pl.DataFrame) -> pl.DataFrame:
    """analytics.rep_gaps: per (rep, kind, item) of the rep's maps, the rep's rate against the top
    performers' and the win-rate points the gap costs (a fraction: 0.041 = 4.1 points; positive = costs).

    `contribution` = sum over the rep's modelled closed deals holding the item of
    (top_rate - has it) x (p with the item - p without it), divided by all the rep's modelled closed
    deals. `significant` needs a proven driver (q < 0.05 in the adjusted model), a gap beyond chance
    (BH q < 0.05 over all gaps) and a positive contribution; `coach` also needs reps to differ beyond
    chance and the rep not to be small_sample; `rank` puts significant gaps first.
    """
    on_map = closed.filter(pl.col("map_id").is_not_null())
    catalogue = item_catalogue(items, roles)
    top_reps = scorecard.filter(pl.col("top_performer")).get_column("rep_id")
    counts = _behaviour_counts(on_map, catalogue)
    per_map = _with_top_rates(counts, top_reps).join(
        _model_terms(groups), on=["rep_id", "map_id", "kind", "item_id"], how="left"
    )
    modelled = deal_scores.group_by("rep_id").agg(modelled=pl.len())
    per_rep = _per_rep(per_map).join(modelled, on="rep_id", how="left").with_columns(
        contribution=pl.col("cost") / pl.col("modelled"),
    )
    described = per_rep.join(_texts(catalogue), on=["kind", "item_id"], how="left").join(
        scorecard.select("rep_id", "reps_differ", "small_sample"), on="rep_id", how="left"
    )
    return _ranked(_flagged(described))


def _behaviour_counts(closed: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Closed deals and deals with the item, per (rep_id, map_id, kind, item_id) of the deal's map. The
    deals' id lists are exploded by polars' streaming engine, a batch at a time (at 1M deals the exploded
    ids would otherwise take gigabytes at once)."""
    keys = ["rep_id", "map_id", "kind", "item_id"]
    per_map = closed.group_by("rep_id", "map_id").agg(deals=pl.len())
    slots = per_map.join(catalogue.select("map_id", "kind", "item_id"), on="map_id")
    hits = pl.concat(
        [
            closed.lazy().select("rep_id", "map_id", kind=pl.lit(kind), item_id=pl.col(column).list.unique())
            .explode("item_id")
            for kind, column in ITEM_LISTS.items()
        ]
    )
    with_item = hits.group_by(keys).agg(with_item=pl.len()).collect(engine="streaming")
    return slots.join(with_item, on=keys, how="left").with_columns(pl.col("with_item").fill_null(0))


def _with_top_rates(counts: pl.DataFrame, top_reps: pl.Series) -> pl.DataFrame:
    """Adds the other top performers' deals and rate per map item (a top rep is compared with the rest)."""
    is_top = pl.col("rep_id").is_in(top_reps.implode())
    top = counts.filter(is_top).group_by("map_id", "kind", "item_id").agg(
        top_all=pl.col("deals").sum(), top_with_all=pl.col("with_item").sum()
    )
    mine = pl.when(is_top)
    return (
        counts.join(top, on=["map_id", "kind", "item_id"], how="left")
        .with_columns(
            top_deals=pl.col("top_all").fill_null(0) - mine.then(pl.col("deals")).otherwise(0),
            top_with=pl.col("top_with_all").fill_null(0) - mine.then(pl.col("with_item")).otherwise(0),
        )
        .with_columns(top_rate=pl.when(pl.col("top_deals") > 0).then(pl.col("top_with") / pl.col("top_deals")))
        .drop("top_all", "top_with_all")
    )


def _model_terms(groups: list[ScoredGroup]) -> pl.DataFrame:
    """Per (rep, map, item in the model): sum of p(with) - p(without) over the rep's deals (delta), the
    same over deals that have the item (delta_with), the model's evidence and the deals behind it."""
    schema = {"rep_id": pl.Utf8, "map_id": pl.Utf8, "kind": pl.Utf8, "item_id": pl.Utf8, "delta": pl.Float64,
              "delta_with": pl.Float64, "cell_deals": pl.UInt32, "odds_ratio": pl.Float64, "q_value": pl.Float64,
              "significant": pl.Boolean}
    parts = [pl.DataFrame(schema=schema)]
    for g in groups:
        keys = g.deals.select("rep_id", "map_id").with_row_index("_row")
        cells = (
            keys.group_by("rep_id", "map_id", maintain_order=True)
            .agg(pl.col("_row"), cell_deals=pl.len())
            .with_row_index("cell")
        )
        members = cells.select("cell", "_row").explode("_row")
        onehot = sparse.csc_array((np.ones(members.height), (members["cell"].to_numpy(), members["_row"].to_numpy())),
                                  shape=(cells.height, g.deals.height))
        per_cell = _cell_sums(g, onehot)
        n_items = per_cell[0].shape[1]
        long = pl.DataFrame({
            "cell": np.repeat(np.arange(cells.height, dtype=np.uint32), n_items),
            "item": np.tile(np.arange(n_items, dtype=np.uint32), cells.height),
            "delta": per_cell[0].ravel(),
            "delta_with": per_cell[1].ravel(),
        }).join(cells.select("cell", "rep_id", "map_id", "cell_deals"), on="cell").drop("cell")
        evidence = g.evidence().with_row_index("item").select(
            "item", "kind", "item_id", "odds_ratio", "q_value", "significant"
        )
        member = g.model.items.membership.select("map_id", pl.col("feature").alias("item"))
        parts.append(
            long.join(member, on=["map_id", "item"], how="semi")
            .join(evidence, on="item", how="left")
            .drop("item")
        )
    frame = pl.concat(parts, how="diagonal_relaxed").select(list(schema))
    return frame.group_by("rep_id", "map_id", "kind", "item_id").agg(
        pl.col("delta", "delta_with").sum(),
        pl.col("odds_ratio", "q_value").sort_by("cell_deals", descending=True).drop_nulls().first(),
        pl.col("significant").fill_null(False).any(),
    )


def _cell_sums(group: ScoredGroup, onehot: sparse.csc_array) -> tuple[np.ndarray, np.ndarray]:
    """Per (rep, map) cell and item: the sum of the item's effect over the cell's deals, and over those
    holding it. Computed EFFECT_ROWS deals at a time, so no deals x items matrix is held whole."""
    total = np.zeros((onehot.shape[0], group.design.shape[1] - group.offset))
    with_item = total.copy()
    for start in range(0, group.deals.height, EFFECT_ROWS):
        rows = slice(start, start + EFFECT_ROWS)
        delta = _item_effects(group, rows)
        block = onehot[:, rows]
        total += block @ delta
        with_item += block @ (delta * (group.design[rows, group.offset :] > 0))
    return total, with_item


def _item_effects(group: ScoredGroup, rows: slice) -> np.ndarray:
    """(deals x items) p(item present) - p(item absent) of the deals in `rows`, other items as they are;
    0 where the deal's map does not hold the item."""
    coef = group.model.coef[group.offset :]
    without = group.eta[rows, None] - group.design[rows, group.offset :] * coef
    delta = special.expit(without + coef) - special.expit(without)
    return delta * group.model.items.applicable(group.deals.get_column("map_id")[rows])


def _per_rep(per_map: pl.DataFrame) -> pl.DataFrame:
    """Map rows to (rep, kind, item): rates, a stratified two-proportion test of the gap, and the cost."""
    weighted = pl.col("top_rate").is_not_null()
    pooled = (pl.col("with_item") + pl.col("top_with")) / (pl.col("deals") + pl.col("top_deals"))
    return (
        per_map.with_columns(
            _var=pooled * (1 - pooled) * pl.col("deals") ** 2 * (1 / pl.col("deals") + 1 / pl.col("top_deals")),
            _gap=pl.col("with_item") - pl.col("deals") * pl.col("top_rate"),
            _cost=pl.col("top_rate") * pl.col("delta") - pl.col("delta_with"),
        )
        .group_by("rep_id", "kind", "item_id")
        .agg(
            rep_deals=pl.col("deals").sum(),
            rep_with=pl.col("with_item").sum(),
            top_deals=pl.col("top_deals").filter(weighted).sum(),
            _weighted_deals=pl.col("deals").filter(weighted).sum(),
            _top_expected=(pl.col("deals") * pl.col("top_rate")).filter(weighted).sum(),
            _gap=pl.col("_gap").filter(weighted).sum(),
            _var=pl.col("_var").filter(weighted).sum(),
            cost=pl.when(pl.col("_cost").is_not_null().any()).then(pl.col("_cost").sum()),
            odds_ratio=pl.col("odds_ratio").sort_by("deals", descending=True).drop_nulls().first(),
            driver_q_value=pl.col("q_value").sort_by("deals", descending=True).drop_nulls().first(),
            driver_significant=pl.col("significant").fill_null(False).any(),
        )
        .with_columns(
            rep_rate=pl.col("rep_with") / pl.col("rep_deals"),
            top_rate=pl.when(pl.col("_weighted_deals") > 0).then(pl.col("_top_expected") / pl.col("_weighted_deals")),
            gap_p_value=_two_sided_p(pl.col("_gap"), pl.col("_var")),
        )
    )


def _two_sided_p(gap: pl.Expr, variance: pl.Expr) -> pl.Expr:
    """Normal two-sided p-value of gap / sqrt(variance); 1 when there is no variance (rates 0 or 1 on both sides)."""
    z = (gap.abs() / variance.sqrt()).fill_nan(None)
    p = z.map_batches(lambda s: pl.Series(2 * stats.norm.sf(s.to_numpy()), nan_to_null=True), return_dtype=pl.Float64)
    return pl.when(variance > 0).then(p).when(gap.is_not_null()).then(pl.lit(1.0))


def _texts(catalogue: pl.DataFrame) -> pl.DataFrame:
    """The map's words and owning role of each (kind, item_id), from the first map holding it."""
    return catalogue.group_by("kind", "item_id", maintain_order=True).agg(pl.col("text", "role_id").first())


def _flagged(gaps: pl.DataFrame) -> pl.DataFrame:
    """BH q-values of the gap tests, the flags and the evidence in words: `significant` (proven driver, gap
    beyond chance, a cost) and `coach` (significant, reps differ beyond chance, the rep not small_sample)."""
    q = bh_qvalues(gaps["gap_p_value"].fill_null(np.nan).to_numpy())
    gaps = gaps.with_columns(pl.Series("gap_q_value", q, nan_to_null=True))
    costs = pl.col("contribution") > 0
    beyond_chance = pl.col("gap_q_value") < SIGNIFICANCE
    significant = (pl.col("driver_significant") & beyond_chance & costs).fill_null(False)
    return gaps.with_columns(
        contribution_points=pl.col("contribution") * 100,
        significant=significant,
        coach=(significant & pl.col("reps_differ") & ~pl.col("small_sample")).fill_null(False),
        evidence=pl.when(pl.col("top_rate").is_null()).then(pl.lit("no top performer works this map: no comparison"))
        .when(pl.col("contribution").is_null()).then(pl.lit("no adjusted estimate for this item: not enough data"))
        .when(~pl.col("driver_significant")).then(pl.lit("not a proven driver of winning: do not coach"))
        .when(~costs).then(pl.lit("no cost: at or beyond top performers where it matters"))
        .when(~beyond_chance).then(pl.lit("gap within chance: do not coach yet"))
        .when(~pl.col("reps_differ").fill_null(False)).then(pl.lit("reps do not differ beyond chance: do not coach"))
        .when(pl.col("small_sample").fill_null(True)).then(pl.lit("too few closed deals to coach this rep yet"))
        .otherwise(pl.lit("coach: proven driver, gap beyond chance")),
    )


def _ranked(gaps: pl.DataFrame) -> pl.DataFrame:
    """Within each rep: coachable gaps first, then by contribution (largest cost first, unknown last)."""
    order = gaps.sort(
        "rep_id", "significant", "contribution", pl.col("kind").cast(KIND_ORDER), "item_id",
        descending=[False, True, True, False, False], nulls_last=True,
    )
    return (
        order.with_columns(rank=pl.int_range(1, pl.len() + 1).over("rep_id"))
        .select(list(GAPS_SCHEMA))
        .cast(GAPS_SCHEMA)
    )
