"""Win drivers: which key players, value propositions, issues and questions go with won deals.

`compute_drivers` returns the `analytics.driver_effects` and `analytics.model_quality` tables and
the fitted `SegmentModel`s. Raw association (win rates, lift, Newcombe interval) is computed for
every item of every map; adjusted odds ratios come from one logistic model per segment, which also
gives each deal attribute's effect (kind 'attribute': context beside the behaviours).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
from scipy import special

from valuedata.analysis.features import ATTRIBUTE, KIND_ORDER, AttributeTerm, ItemSpace, item_catalogue
from valuedata.analysis.model import (
    ItemCounts,
    MinimumData,
    OneOfGroup,
    SegmentFit,
    SegmentModel,
    TrainingSet,
    build_training_set,
    fit_segment,
)
from valuedata.analysis.stats import newcombe_interval
from valuedata.vocabulary import ALL_SEGMENTS, CLOSED_OUTCOMES, ITEM_LISTS

ESTIMATED, REFERENCE, NOT_ENOUGH_DATA, SEPARATION, COLLINEAR = (
    "estimated", "reference", "not_enough_data", "separation", "collinear")
SEPARATION_NOTE = ("separation: given the other items the outcome is (almost) perfectly predicted, so no finite "
                   "odds ratio exists; see the raw win rates")

DRIVER_EFFECTS_SCHEMA = {
    "segment": pl.Utf8,
    "kind": pl.Utf8,
    "item_id": pl.Utf8,
    "deals_with": pl.Int64,
    "deals_without": pl.Int64,
    "win_rate_with": pl.Float64,
    "win_rate_without": pl.Float64,
    "lift": pl.Float64,
    "lift_ci_low": pl.Float64,
    "lift_ci_high": pl.Float64,
    "p_value": pl.Float64,
    "q_value": pl.Float64,
    "odds_ratio": pl.Float64,
    "or_ci_low": pl.Float64,
    "or_ci_high": pl.Float64,
    "significant": pl.Boolean,
    "wins_with": pl.Int64,
    "wins_without": pl.Int64,
    "log_odds": pl.Float64,
    "std_error": pl.Float64,
    "status": pl.Utf8,
    "note": pl.Utf8,
    "map_id": pl.Utf8,
    "role_id": pl.Utf8,
    "text": pl.Utf8,
    "key_player": pl.Boolean,
    "impact": pl.Boolean,
    "priority": pl.Int64,
}

MODEL_QUALITY_SCHEMA = {
    "segment": pl.Utf8,
    "closed_deals": pl.Int64,
    "auc_cv": pl.Float64,
    "brier_cv": pl.Float64,
    "baseline_brier": pl.Float64,
    "fitted_at": pl.Datetime("us", "UTC"),
    "auc_cv_explanatory": pl.Float64,
    "brier_cv_explanatory": pl.Float64,
    "auc_cv_boosting": pl.Float64,
    "scoring_model": pl.Utf8,
    "cv_scheme": pl.Utf8,
    "wins": pl.Int64,
    "losses": pl.Int64,
    "items_in_model": pl.Int64,
    "controls_in_model": pl.Int64,
    "folds": pl.Int64,
    "cv_deals": pl.Int64,
    "better_than_baseline": pl.Boolean,
    "calibration": pl.Utf8,
    "calibration_intercept": pl.Float64,
    "calibration_slope": pl.Float64,
    "calibration_p_value": pl.Float64,
    "converged": pl.Boolean,
    "left_out": pl.Utf8,
    "note": pl.Utf8,
}

MODEL_INPUTS = ["deal_id", "segment", "map_id", "outcome", "amount", "created_at", "closed_at", *ITEM_LISTS.values()]
ESTIMATE_COLUMNS = [
    "log_odds", "std_error", "odds_ratio", "or_ci_low", "or_ci_high", "p_value", "q_value", "significant"
]


def compute_drivers(
    deals: pl.DataFrame,
    items: pl.DataFrame,
    roles: pl.DataFrame,
    attribute_columns: list[str],
    *,
    rules: MinimumData = MinimumData(),
    fitted_at: datetime | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, SegmentModel]]:
    """Driver effects, model quality and fitted models for '*' (all deals) and each segment.

    `deals` is analytics.deal_coverage joined with the deal attributes; `attribute_columns` names
    the attributes to use as controls. Only closed deals (won/lost) with a known map are modelled.
    """
    catalogue = item_catalogue(items, roles)
    fitted_at = fitted_at or datetime.now(UTC)
    used = [c for c in dict.fromkeys([*MODEL_INPUTS, *attribute_columns]) if c in deals.columns]
    closed = closed_deals(deals.select(used), catalogue)
    maps_of = segment_maps(deals)
    del deals  # when the caller handed over its only reference, the whole frame is freed before the fits
    effects, quality, models = [], [], {}
    fitted: dict[tuple[int, tuple[str, ...]], ScopeResult] = {}
    for segment, rows, maps in fit_scopes(closed, catalogue, maps_of):
        scope = (rows.height, tuple(maps))  # one segment on every map is the '*' fit again: reuse it
        if scope not in fitted:
            fitted[scope] = fit_scope(segment, rows, ItemSpace.from_catalogue(catalogue, maps), attribute_columns,
                                      rules, catalogue, fitted_at)
        effect, scope_quality, model = fitted[scope]
        effects.append(effect.with_columns(segment=pl.lit(segment)))
        if model is not None:
            models[segment] = model
            quality.append(scope_quality | {"segment": segment})
    driver_effects = pl.concat(effects, how="vertical") if effects else pl.DataFrame(schema=DRIVER_EFFECTS_SCHEMA)
    return driver_effects, pl.DataFrame(quality, schema=MODEL_QUALITY_SCHEMA), models


ScopeResult = tuple[pl.DataFrame, dict | None, SegmentModel | None]


def fit_scope(segment: str, rows: pl.DataFrame, items: ItemSpace, attribute_columns: list[str], rules: MinimumData,
              catalogue: pl.DataFrame, fitted_at: datetime) -> ScopeResult:
    """One fit's driver_effects rows, model_quality row and model (None when the segment rule fails). Only
    these are kept: the fit's design matrix is released before the next scope is built."""
    training = build_training_set(segment, rows, items, attribute_columns, rules)
    result = fit_segment(training)
    if result is None:
        return effect_table(training, None, catalogue), None, None
    return effect_table(training, result, catalogue), quality_row(result, fitted_at), result.model


def closed_deals(deals: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Won/lost deals on a known map, oldest close first (close date, else creation date, then id)."""
    maps = catalogue.get_column("map_id").unique()
    return (
        deals.filter(pl.col("outcome").is_in(CLOSED_OUTCOMES) & pl.col("map_id").is_in(maps.implode()))
        .with_columns(_closed_on=pl.coalesce("closed_at", "created_at"))
        .sort("_closed_on", "deal_id")
        .drop("_closed_on")
    )


def segment_maps(deals: pl.DataFrame) -> dict[str, list[str]]:
    """The value maps of each segment's deals, open or closed."""
    maps = deals.select("segment", "map_id").drop_nulls().unique().group_by("segment").agg(pl.col("map_id").sort())
    return dict(maps.iter_rows())


def fit_scopes(closed: pl.DataFrame, catalogue: pl.DataFrame, maps_of: dict[str, list[str]]):
    """(segment, closed deals, map ids) for '*' and for every segment with a closed deal."""
    yield ALL_SEGMENTS, closed, catalogue.get_column("map_id").unique().sort().to_list()
    for segment in closed.get_column("segment").unique().sort().to_list():
        yield segment, closed.filter(pl.col("segment") == segment), maps_of[segment]


def effect_table(training: TrainingSet, result: SegmentFit | None, catalogue: pl.DataFrame) -> pl.DataFrame:
    """One driver_effects row per item of the segment's maps, then one per deal-attribute term."""
    counts = training.counts()
    statuses, notes = item_statuses(training, result, counts)
    raw = training.items.keys.with_columns(
        *_raw_association(counts.deals_with, counts.wins_with, counts.deals_without, counts.wins_without),
        pl.Series("status", statuses, pl.Utf8),
        pl.Series("note", notes, pl.Utf8),
    )
    described = raw.join(_descriptions(catalogue, training.items.maps), on=["kind", "item_id"], how="left")
    table = pl.concat([described, attribute_rows(training, result)], how="diagonal_relaxed")
    return (
        table.join(_estimates(result), on=["kind", "item_id"], how="left")
        .with_columns(pl.lit(training.segment).alias("segment"), *_estimates_only_when_estimated())
        .with_columns(pl.col("significant").fill_null(False))
        .sort(pl.col("kind").cast(KIND_ORDER), "item_id")
        .select(list(DRIVER_EFFECTS_SCHEMA))
        .cast(DRIVER_EFFECTS_SCHEMA)
    )


def _raw_association(deals_with, wins_with, deals_without, wins_without) -> list[pl.Series]:
    """Counts, win rates with and without, and the lift with its Newcombe interval."""
    low, high = newcombe_interval(wins_with, deals_with, wins_without, deals_without)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_with = wins_with / deals_with
        rate_without = wins_without / deals_without
    counts = {"deals_with": deals_with, "deals_without": deals_without, "wins_with": wins_with,
              "wins_without": wins_without}
    return [
        *(pl.Series(name, np.asarray(values, dtype=float), nan_to_null=True).cast(pl.Int64)
          for name, values in counts.items()),
        pl.Series("win_rate_with", rate_with, pl.Float64, nan_to_null=True),
        pl.Series("win_rate_without", rate_without, pl.Float64, nan_to_null=True),
        pl.Series("lift", rate_with - rate_without, pl.Float64, nan_to_null=True),
        pl.Series("lift_ci_low", low, pl.Float64, nan_to_null=True),
        pl.Series("lift_ci_high", high, pl.Float64, nan_to_null=True),
    ]


def item_statuses(training: TrainingSet, result: SegmentFit | None, counts: ItemCounts) -> tuple[list, list]:
    """Each item's status (estimated / reference / not_enough_data / separation / collinear) and note in
    words; docs/drivers.md explains how to read them."""
    group_of = {j: group for group in training.one_of for j in group.members}
    wins = int(training.outcome.sum())
    passes = counts.passes(training.rules)
    pairs = [_item_status(j, training, result, counts, bool(passes[j]), group_of.get(j),
                          (wins, training.outcome.size - wins)) for j in range(len(training.items))]
    return [status for status, _ in pairs], [note for _, note in pairs]


def _item_status(j: int, training: TrainingSet, result: SegmentFit | None, counts: ItemCounts, passes: bool,
                 group: OneOfGroup | None, outcomes: tuple[int, int]) -> tuple[str, str | None]:
    """Item j's status and note: the first rule it fails, else estimated (against its one-of reference).
    `passes`: whether it meets the per-item rule; `outcomes`: the segment's (wins, losses)."""
    rules, names = training.rules, training.items.names
    wins, losses = outcomes
    reason = result.fit.dropped.get(names[j], "") if result else ""
    if counts.deals_with[j] == 0:
        return NOT_ENOUGH_DATA, "not enough data: no closed deal in this segment has it"
    if result is None:
        return NOT_ENOUGH_DATA, (f"not enough data: the segment has {wins} won and {losses} lost deals "
                                 f"({rules.describe_segment_rule()}); raw association only")
    if group is not None and group.reference == j:
        return REFERENCE, (f"reference: every deal has exactly one of {_listed(names, group.members)}; the others' "
                           "odds ratios compare with this one")
    if not passes:
        return NOT_ENOUGH_DATA, (
            f"not enough data: {counts.deals_with[j]} closed deals with it ({counts.wins_with[j]} won) and "
            f"{counts.deals_without[j]} without ({counts.wins_without[j]} won); {rules.describe_item_rule()}")
    if not result.screening.in_model[j]:
        return NOT_ENOUGH_DATA, (
            f"not enough data for the adjusted model: {min(wins, losses)} deals of the rarer outcome allow "
            f"{result.screening.budget} item columns at {rules.events_per_column:g} events per column; the "
            "most balanced items were kept; raw association only")
    if reason.startswith("separation"):
        return SEPARATION, SEPARATION_NOTE
    if reason:
        return COLLINEAR, _collinear_note(reason)
    return ESTIMATED, (None if group is None else f"against {names[group.reference].split(':', 1)[1]}: every deal "
                       f"has exactly one of {_listed(names, group.members)}")


def attribute_rows(training: TrainingSet, result: SegmentFit | None) -> pl.DataFrame:
    """One row per deal-attribute term: each level of a categorical attribute against its reference
    (and the reference itself), each numeric attribute per standard deviation (raw rates are for levels
    only). Context, not behaviour."""
    terms = training.controls.terms()
    dropped = result.fit.dropped if result else {}
    y = training.outcome
    counts, statuses, notes = [], [], []
    for term in terms:
        level = _level_indicator(training, term)
        if level is None:
            counts.append((_present_count(training, term), None, None, None))
        else:
            counts.append((int(level.sum()), int(level @ y), int(y.size - level.sum()), int((1 - level) @ y)))
        reason = dropped.get(term.column or "", "")
        status = (NOT_ENOUGH_DATA if result is None else REFERENCE if term.column is None
                  else SEPARATION if reason.startswith("separation") else COLLINEAR if reason else ESTIMATED)
        extra = {NOT_ENOUGH_DATA: "not enough data: the segment's model was not fitted",
                 SEPARATION: SEPARATION_NOTE, COLLINEAR: _collinear_note(reason)}.get(status)
        notes.append(f"deal context, not behaviour: {term.note}" + (f"; {extra}" if extra else ""))
        statuses.append(status)
    columns = ("deals_with", "wins_with", "deals_without", "wins_without")
    raw = {name: np.array([np.nan if c[i] is None else c[i] for c in counts], dtype=float)
           for i, name in enumerate(columns)} if terms else {name: np.zeros(0) for name in columns}
    frame = pl.DataFrame({"kind": [ATTRIBUTE] * len(terms), "item_id": [t.item_id for t in terms]},
                         schema={"kind": pl.Utf8, "item_id": pl.Utf8})
    return frame.with_columns(
        *_raw_association(raw["deals_with"], raw["wins_with"], raw["deals_without"], raw["wins_without"]),
        pl.Series("status", statuses, pl.Utf8),
        pl.Series("note", notes, pl.Utf8),
    )


def _level_indicator(training: TrainingSet, term: AttributeTerm) -> np.ndarray | None:
    """Per deal, 1.0 when it has the categorical level (the reference level: none of the others); None
    for a numeric attribute."""
    names, design = training.controls.names, training.design
    if term.column is not None and "=" not in term.column:
        return None
    if term.column is not None:
        return design[:, 1 + names.index(term.column)]
    prefix = term.item_id.split("=", 1)[0] + "="
    return 1.0 - design[:, [1 + i for i, name in enumerate(names) if name.startswith(prefix)]].sum(axis=1)


def _present_count(training: TrainingSet, term: AttributeTerm) -> int:
    """Deals with a value of a numeric attribute."""
    missing = f"{term.column}_missing"
    names = training.controls.names
    return int(training.outcome.size - (training.design[:, 1 + names.index(missing)].sum() if missing in names else 0))


def _listed(names: list[str], members: tuple[int, ...]) -> str:
    return ", ".join(names[j].split(":", 1)[1] for j in members)


def _collinear_note(reason: str) -> str:
    return (f"collinear: {reason.replace('constant', 'constant across the segment deals')}; "
            "no separate effect can be estimated")


def _estimates(result: SegmentFit | None) -> pl.DataFrame:
    """Adjusted estimates per (kind, item_id) of items and attributes."""
    if result is None:
        return pl.DataFrame(schema={"kind": pl.Utf8, "item_id": pl.Utf8} |
                            {c: DRIVER_EFFECTS_SCHEMA[c] for c in ESTIMATE_COLUMNS})
    return result.evidence.select("kind", "item_id", *ESTIMATE_COLUMNS)


def _estimates_only_when_estimated() -> list[pl.Expr]:
    estimated = pl.col("status") == ESTIMATED
    return [pl.when(estimated).then(pl.col(c)).otherwise(None).alias(c) for c in ESTIMATE_COLUMNS]


def _descriptions(catalogue: pl.DataFrame, maps: list[str]) -> pl.DataFrame:
    """Text, role and flags of each (kind, item_id) from the first map holding it; all map ids joined."""
    return (
        catalogue.filter(pl.col("map_id").is_in(maps))
        .group_by("kind", "item_id", maintain_order=True)
        .agg(
            pl.col("map_id").sort().str.join(","),
            *(pl.col(c).first() for c in ("role_id", "text", "key_player", "impact", "priority")),
        )
    )


def quality_row(result: SegmentFit, fitted_at: datetime) -> dict:
    """One analytics.model_quality row: the scoring model's out-of-fold quality, the explanatory
    (logistic) model's, the folds used and the calibration."""
    cv, calibration, fit, model = result.cv, result.calibration, result.fit, result.model
    wins, losses = result.screening.wins, result.screening.losses
    item_names = set(result.training.items.names)
    kept = [name for name, keep in zip(fit.names, fit.kept) if keep]
    scoring = cv.scored_out_of_fold
    return {
        "segment": result.training.segment,
        "closed_deals": wins + losses,
        "auc_cv": _finite(cv.auc(scoring)),
        "brier_cv": _finite(cv.brier(scoring)),
        "baseline_brier": _finite(cv.baseline_brier),
        "fitted_at": fitted_at,
        "auc_cv_explanatory": _finite(cv.logistic_auc),
        "brier_cv_explanatory": _finite(cv.brier(special.expit(cv.logistic))),
        "auc_cv_boosting": _finite(cv.boosting_auc),
        "scoring_model": model.scoring_model,
        "cv_scheme": cv.scheme,
        "wins": wins,
        "losses": losses,
        "items_in_model": sum(name in item_names for name in kept),
        "controls_in_model": sum(name not in item_names for name in kept) - 1,
        "folds": cv.folds,
        "cv_deals": cv.deals,
        "better_than_baseline": model.beats_base_rate if cv.deals else None,
        "calibration": calibration.describe(),
        "calibration_intercept": _finite(calibration.intercept),
        "calibration_slope": _finite(calibration.slope),
        "calibration_p_value": _finite(calibration.p_value),
        "converged": fit.converged,
        "left_out": ", ".join(leak.column for leak in result.training.leaks) or None,
        "note": _quality_note(result, item_names),
    }


def _quality_note(result: SegmentFit, item_names: set[str]) -> str | None:
    """Outcome leaks left out, dropped controls and cross-validation gaps, in words."""
    parts = [leak.describe() for leak in result.training.leaks]
    dropped = result.fit.dropped.items()
    parts += [f"control {name} dropped ({reason})" for name, reason in dropped if name not in item_names]
    planned = len(result.training.folds.splits)
    if result.cv.folds < planned:
        parts.append(f"cross-validation: {result.cv.folds} of {planned} training folds met the segment rule")
    return "; ".join(parts) or None


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


__all__ = ["DRIVER_EFFECTS_SCHEMA", "MODEL_QUALITY_SCHEMA", "MinimumData", "SegmentModel", "compute_drivers"]
