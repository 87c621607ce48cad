"""Win drivers: which key players, value propositions, issues and questions go with won deals.

`compute_drivers` returns the `analytics.driver_effects` and `analytics.model_quality` tables and
the fitted `SegmentModel`s. Raw association (win rates, lift, Newcombe interval) is computed for
every item of every map; adjusted odds ratios come from one logistic model per segment.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from valuedata.analysis.features import ITEM_LISTS, KIND_ORDER, ItemSpace, item_catalogue
from valuedata.analysis.model import (
    CV_SCHEME,
    CV_TEST_BLOCKS,
    ItemCounts,
    MinimumData,
    SegmentFit,
    SegmentModel,
    TrainingSet,
    build_training_set,
    fit_segment,
)
from valuedata.analysis.stats import newcombe_interval

ALL_SEGMENTS = "*"
CLOSED_OUTCOMES = ("won", "lost")

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
    "wins": pl.Int64,
    "losses": pl.Int64,
    "items_in_model": pl.Int64,
    "controls_in_model": pl.Int64,
    "folds": pl.Int64,
    "cv_deals": pl.Int64,
    "cv_scheme": pl.Utf8,
    "better_than_baseline": pl.Boolean,
    "calibration": pl.Utf8,
    "calibration_intercept": pl.Float64,
    "calibration_slope": pl.Float64,
    "calibration_p_value": pl.Float64,
    "converged": pl.Boolean,
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
    effects, quality, models = [], [], {}
    for segment, rows, maps in fit_scopes(deals, closed, catalogue):
        space = ItemSpace.from_catalogue(catalogue, maps)
        training = build_training_set(segment, rows, space, attribute_columns, rules)
        result = fit_segment(training)
        effects.append(effect_table(training, result, catalogue))
        if result is not None:
            models[segment] = result.model
            quality.append(quality_row(result, fitted_at))
    driver_effects = pl.concat(effects, how="vertical") if effects else pl.DataFrame(schema=DRIVER_EFFECTS_SCHEMA)
    return driver_effects, pl.DataFrame(quality, schema=MODEL_QUALITY_SCHEMA), models


def closed_deals(deals: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Won/lost deals on a known map, oldest close first (close date, else creation date, then id)."""
    maps = catalogue.get_column("map_id").unique()
    return (
        deals.filter(pl.col("outcome").is_in(CLOSED_OUTCOMES) & pl.col("map_id").is_in(maps.implode()))
        .with_columns(_closed_on=pl.coalesce("closed_at", "created_at"))
        .sort("_closed_on", "deal_id")
        .drop("_closed_on")
    )


def fit_scopes(deals: pl.DataFrame, closed: pl.DataFrame, catalogue: pl.DataFrame):
    """(segment, closed deals, map ids) for '*' and for every segment with a closed deal."""
    yield ALL_SEGMENTS, closed, catalogue.get_column("map_id").unique().sort().to_list()
    maps = deals.select("segment", "map_id").drop_nulls().unique().group_by("segment").agg(pl.col("map_id").sort())
    maps_of = dict(maps.iter_rows())
    for segment in closed.get_column("segment").unique().sort().to_list():
        yield segment, closed.filter(pl.col("segment") == segment), maps_of[segment]


def effect_table(training: TrainingSet, result: SegmentFit | None, catalogue: pl.DataFrame) -> pl.DataFrame:
    """One driver_effects row per item of the segment's maps."""
    counts = training.counts(training.outcome.size)
    low, high = newcombe_interval(counts.wins_with, counts.deals_with, counts.wins_without, counts.deals_without)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_with = counts.wins_with / counts.deals_with
        rate_without = counts.wins_without / counts.deals_without
    raw = training.items.keys.with_columns(
        pl.lit(training.segment).alias("segment"),
        pl.Series("deals_with", counts.deals_with, pl.Int64),
        pl.Series("deals_without", counts.deals_without, pl.Int64),
        pl.Series("wins_with", counts.wins_with, pl.Int64),
        pl.Series("wins_without", counts.wins_without, pl.Int64),
        pl.Series("win_rate_with", rate_with, nan_to_null=True),
        pl.Series("win_rate_without", rate_without, nan_to_null=True),
        pl.Series("lift", rate_with - rate_without, nan_to_null=True),
        pl.Series("lift_ci_low", low, nan_to_null=True),
        pl.Series("lift_ci_high", high, nan_to_null=True),
        pl.Series("status", item_status(training, result, counts)),
    )
    table = raw.join(_estimates(result), on=["kind", "item_id"], how="left").join(
        _descriptions(catalogue, training.items.maps), on=["kind", "item_id"], how="left"
    )
    return (
        table.with_columns(_estimates_only_when_estimated())
        .with_columns(pl.col("significant").fill_null(False), note=_note(training, result))
        .sort(pl.col("kind").cast(KIND_ORDER), "item_id")
        .select(list(DRIVER_EFFECTS_SCHEMA))
        .cast(DRIVER_EFFECTS_SCHEMA)
    )


def item_status(training: TrainingSet, result: SegmentFit | None, counts: ItemCounts) -> list[str]:
    """Why each item has (or lacks) an adjusted estimate; see docs/drivers.md for the vocabulary."""
    passes = counts.passes(training.rules)
    in_model = result.screening.in_model if result else np.zeros_like(passes)
    dropped = result.fit.dropped if result else {}
    status = []
    for j, name in enumerate(training.items.names):
        reason = dropped.get(name, "")
        status.append(
            "never_seen" if counts.deals_with[j] == 0
            else "segment_not_fitted" if result is None
            else "not_enough_data" if not passes[j]
            else "not_in_model" if not in_model[j]
            else "separation" if reason.startswith("separation")
            else "collinear" if reason
            else "estimated"
        )
    return status


def _estimates(result: SegmentFit | None) -> pl.DataFrame:
    """Adjusted estimates and drop reasons per (kind, item_id)."""
    if result is None:
        columns = ["kind", "item_id", *ESTIMATE_COLUMNS]
        return pl.DataFrame(schema={c: DRIVER_EFFECTS_SCHEMA[c] for c in columns} | {"reason": pl.Utf8})
    reasons = pl.DataFrame(
        {"feature": list(result.fit.dropped), "reason": list(result.fit.dropped.values())},
        schema={"feature": pl.Utf8, "reason": pl.Utf8},
    )
    return result.evidence.join(reasons, on="feature", how="left").drop("feature")


def _estimates_only_when_estimated() -> list[pl.Expr]:
    estimated = pl.col("status") == "estimated"
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


def _note(training: TrainingSet, result: SegmentFit | None) -> pl.Expr:
    """The `note` column: why a row has no adjusted estimate, in words."""
    rules = training.rules
    wins = int(training.outcome.sum())
    losses = training.outcome.size - wins
    reason = pl.col("reason") if result is not None else pl.lit("")
    budget = result.screening.budget if result else 0
    counts = pl.format(
        "{} closed deals with it ({} won) and {} without ({} won)",
        "deals_with", "wins_with", "deals_without", "wins_without",
    )
    status = pl.col("status")
    return (
        pl.when(status == "never_seen").then(pl.lit("not enough data: no closed deal in this segment has it"))
        .when(status == "segment_not_fitted").then(pl.lit(
            f"not enough data: the segment has {wins} won and {losses} lost deals "
            f"({rules.describe_segment_rule()}); raw association only"
        ))
        .when(status == "not_enough_data")
        .then(pl.format("not enough data: {}; {}", counts, pl.lit(rules.describe_item_rule())))
        .when(status == "not_in_model").then(pl.lit(
            f"not in the adjusted model: {min(wins, losses)} deals of the rarer outcome allow {budget} item "
            f"columns at {rules.events_per_column:g} events per column; the most balanced items were kept; "
            "raw association only"
        ))
        .when(status == "collinear").then(pl.format(
            "collinear: {}; no separate effect can be estimated",
            reason.str.replace("constant", "constant across the segment's deals"),
        ))
        .when(status == "separation").then(pl.lit(
            "separation: given the other items the outcome is (almost) perfectly predicted, so no finite "
            "odds ratio exists (standard error exploded); see the raw win rates"
        ))
        .otherwise(None)
    )


def quality_row(result: SegmentFit, fitted_at: datetime) -> dict:
    """One analytics.model_quality row."""
    cv, calibration, fit = result.cv, result.calibration, result.fit
    wins, losses = result.screening.wins, result.screening.losses
    item_names = set(result.training.items.names)
    kept = [name for name, keep in zip(fit.names, fit.kept) if keep]
    return {
        "segment": result.training.segment,
        "closed_deals": wins + losses,
        "auc_cv": _finite(cv.auc),
        "brier_cv": _finite(cv.brier),
        "baseline_brier": _finite(cv.baseline_brier),
        "fitted_at": fitted_at,
        "wins": wins,
        "losses": losses,
        "items_in_model": sum(name in item_names for name in kept),
        "controls_in_model": sum(name not in item_names for name in kept) - 1,
        "folds": cv.folds,
        "cv_deals": cv.deals,
        "cv_scheme": CV_SCHEME,
        "better_than_baseline": cv.brier < cv.baseline_brier if cv.deals else None,
        "calibration": "platt" if calibration.applied else "none",
        "calibration_intercept": _finite(calibration.intercept),
        "calibration_slope": _finite(calibration.slope),
        "calibration_p_value": _finite(calibration.p_value),
        "converged": fit.converged,
        "note": _quality_note(result, item_names),
    }


def _quality_note(result: SegmentFit, item_names: set[str]) -> str | None:
    """Dropped controls and cross-validation gaps, in words."""
    dropped = result.fit.dropped.items()
    parts = [f"control {name} dropped ({reason})" for name, reason in dropped if name not in item_names]
    if result.cv.folds < CV_TEST_BLOCKS:
        parts.append(f"cross-validation: {result.cv.folds} of {CV_TEST_BLOCKS} training windows met the segment rule")
    return "; ".join(parts) or None


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


__all__ = ["DRIVER_EFFECTS_SCHEMA", "MODEL_QUALITY_SCHEMA", "MinimumData", "SegmentModel", "compute_drivers"]
