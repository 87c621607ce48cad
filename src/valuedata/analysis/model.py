"""The adjusted win model of one segment: data rules, fitting, time-ordered cross-validation, calibration.

`fit_segment` takes a segment's closed deals (sorted by close date), screens items by the minimum-data
rules, fits one logistic model over every remaining item plus controls, cross-validates the whole
procedure on rolling time origins and, if the out-of-fold predictions show miscalibration,
recalibrates (Platt). The result is a `SegmentModel` for scoring and counterfactuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import special, stats

from valuedata.analysis.features import ControlEncoder, ItemSpace
from valuedata.analysis.stats import LogitFit, auc_score, bh_qvalues, fit_logit

INTERCEPT = "intercept"
CV_TEST_BLOCKS = 5
CV_INITIAL_SHARE = 0.5
CV_SCHEME = "rolling origin by close date: train on the earliest 50%, test the next 10%; 5 folds"
SIGNIFICANCE = 0.05
# The smallest adjusted odds ratio (or its inverse) called significant: on very many deals a tiny effect,
# e.g. residual confounding of 1.03, clears q < 0.05 but is not worth a sales plan.
MIN_ODDS_RATIO = 1.2


@dataclass(frozen=True)
class MinimumData:
    """Minimum-data rules; below them a number would carry no meaning, so none is reported."""

    deals_each_side: int = 10
    outcomes_each_side: int = 3
    segment_closed_deals: int = 50
    segment_outcomes: int = 10
    events_per_column: float = 5.0
    level_deals: int = 20

    def describe_item_rule(self) -> str:
        return (
            f"need >= {self.deals_each_side} closed deals with and without the item, and >= "
            f"{self.outcomes_each_side} wins and >= {self.outcomes_each_side} losses on each side"
        )

    def describe_segment_rule(self) -> str:
        return (
            f"need >= {self.segment_closed_deals} closed deals with >= {self.segment_outcomes} wins "
            f"and >= {self.segment_outcomes} losses"
        )

    def segment_ok(self, wins: int, losses: int) -> bool:
        enough = min(wins, losses) >= self.segment_outcomes
        return enough and wins + losses >= self.segment_closed_deals


@dataclass(frozen=True)
class ItemCounts:
    """Closed deals and wins with and without each item (without = the deal's map holds it, not done)."""

    deals_with: np.ndarray
    wins_with: np.ndarray
    deals_without: np.ndarray
    wins_without: np.ndarray

    @property
    def losses_with(self) -> np.ndarray:
        return self.deals_with - self.wins_with

    @property
    def losses_without(self) -> np.ndarray:
        return self.deals_without - self.wins_without

    def passes(self, rules: MinimumData) -> np.ndarray:
        """Items meeting the per-item minimum-data rule."""
        sides = np.minimum(self.deals_with, self.deals_without) >= rules.deals_each_side
        outcomes = np.minimum.reduce([self.wins_with, self.losses_with, self.wins_without, self.losses_without])
        return sides & (outcomes >= rules.outcomes_each_side)


def count_items(presence: np.ndarray, won: np.ndarray, map_codes: np.ndarray, map_matrix: np.ndarray) -> ItemCounts:
    """ItemCounts over the given rows (presence: deals x items, won: bool per deal)."""
    by_map = np.bincount(map_codes, minlength=map_matrix.shape[0]).astype(np.int64)
    wins_by_map = np.bincount(map_codes, weights=won, minlength=map_matrix.shape[0]).astype(np.int64)
    applicable, wins_applicable = by_map @ map_matrix, wins_by_map @ map_matrix
    deals_with = np.count_nonzero(presence, axis=0)
    wins_with = np.count_nonzero(presence & won[:, None], axis=0)
    return ItemCounts(deals_with, wins_with, applicable - deals_with, wins_applicable - wins_with)


@dataclass
class TrainingSet:
    """Closed deals of one fit in close-date order, with the design over every candidate item.

    Design columns: intercept, controls, then the items passing the minimum-data rule on all rows.
    Cross-validation folds are row prefixes, so every fold re-applies the rules to its own rows.
    """

    segment: str
    outcome: np.ndarray
    presence: np.ndarray
    map_codes: np.ndarray
    items: ItemSpace
    controls: ControlEncoder
    candidates: np.ndarray
    design: np.ndarray
    rules: MinimumData

    @property
    def names(self) -> list[str]:
        item_names = self.items.names
        return [INTERCEPT, *self.controls.names, *(item_names[j] for j in self.candidates)]

    @property
    def n_controls(self) -> int:
        return len(self.controls.names)

    def counts(self, n_rows: int) -> ItemCounts:
        """ItemCounts over the first n_rows deals."""
        won = self.outcome[:n_rows].astype(bool)
        return count_items(self.presence[:n_rows], won, self.map_codes[:n_rows], self.items.map_matrix())


def build_training_set(
    segment: str, closed: pl.DataFrame, items: ItemSpace, attribute_columns: list[str], rules: MinimumData
) -> TrainingSet:
    """Encode controls, item presence and candidate items for closed deals sorted by close date."""
    categorical = ("segment",) if segment == "*" else ()
    controls = ControlEncoder.fit(closed, attribute_columns, categorical=categorical, min_level_deals=rules.level_deals)
    outcome = (closed.get_column("outcome") == "won").to_numpy().astype(np.float64)
    presence = items.presence(closed)
    map_codes = items.map_codes(closed.get_column("map_id"))
    counts = count_items(presence, outcome.astype(bool), map_codes, items.map_matrix())
    candidates = np.flatnonzero(counts.passes(rules))
    design = _stack(np.ones(closed.height), controls.transform(closed), presence[:, candidates])
    return TrainingSet(segment, outcome, presence, map_codes, items, controls, candidates, design, rules)


def _stack(intercept: np.ndarray, controls: np.ndarray, presence: np.ndarray) -> np.ndarray:
    """[intercept | controls | items] as one C-ordered float matrix, without intermediate copies."""
    n, c = controls.shape
    design = np.empty((n, 1 + c + presence.shape[1]))
    design[:, 0] = intercept
    design[:, 1 : 1 + c] = controls
    design[:, 1 + c :] = presence
    return design


@dataclass(frozen=True)
class Screening:
    """Which candidate items enter a fit on the first n_rows deals, and why others do not."""

    n_rows: int
    wins: int
    losses: int
    passes: np.ndarray
    in_model: np.ndarray
    budget: int

    @property
    def fittable(self) -> bool:
        return self.budget >= 0


def screen(training: TrainingSet, n_rows: int) -> Screening:
    """Apply the item rule and the events-per-column budget to the first n_rows deals.

    The budget keeps the most balanced items (largest min(with, without)), which is outcome-blind.
    """
    rules = training.rules
    counts = training.counts(n_rows)
    wins = int(training.outcome[:n_rows].sum())
    losses = n_rows - wins
    passes = counts.passes(rules)
    if not rules.segment_ok(wins, losses):
        return Screening(n_rows, wins, losses, passes, np.zeros_like(passes), -1)
    budget = int(min(wins, losses) // rules.events_per_column) - 1 - training.n_controls
    balance = np.where(passes, np.minimum(counts.deals_with, counts.deals_without), -1)
    ranked = np.argsort(-balance, kind="stable")[: max(budget, 0)]
    in_model = np.zeros_like(passes)
    in_model[ranked[passes[ranked]]] = True
    return Screening(n_rows, wins, losses, passes, in_model, max(budget, 0))


def design_columns(training: TrainingSet, screening: Screening) -> np.ndarray:
    """Design-column indices for a screening: intercept, controls, and its items among the candidates."""
    chosen = np.flatnonzero(screening.in_model[training.candidates])
    return np.concatenate([np.arange(1 + training.n_controls), 1 + training.n_controls + chosen])


def fit_rows(training: TrainingSet, screening: Screening, warm_start: LogitFit | None = None) -> LogitFit:
    """Fit the logistic model on the first screening.n_rows deals.

    With `warm_start` (the all-rows fit), Newton starts from its coefficients and skips the final
    covariance pass: a purely numerical shortcut for cross-validation folds, whose predictions
    depend only on the fold's own maximum-likelihood estimate.
    """
    n = screening.n_rows
    columns = design_columns(training, screening)
    if warm_start is None:
        return fit_logit(training.design[:n], training.outcome[:n], training.names, columns=columns)
    start = np.zeros(training.design.shape[1])
    start[warm_start.columns] = np.nan_to_num(warm_start.coef)
    design, outcome = training.design[:n], training.outcome[:n]
    return fit_logit(design, outcome, training.names, columns=columns, start=start[columns], exact_covariance=False)


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-fold results of the rolling-origin scheme."""

    folds: int
    linear_predictor: np.ndarray
    outcome: np.ndarray
    fold_auc: np.ndarray
    baseline: np.ndarray

    @property
    def deals(self) -> int:
        return int(self.outcome.size)

    @property
    def auc(self) -> float:
        finite = self.fold_auc[~np.isnan(self.fold_auc)]
        return float(finite.mean()) if finite.size else float("nan")

    @property
    def brier(self) -> float:
        probability = special.expit(self.linear_predictor)
        return float(np.mean((probability - self.outcome) ** 2)) if self.deals else float("nan")

    @property
    def baseline_brier(self) -> float:
        return float(np.mean((self.baseline - self.outcome) ** 2)) if self.deals else float("nan")


def fold_edges(n_rows: int) -> np.ndarray:
    """Row boundaries: the initial training window, then CV_TEST_BLOCKS contiguous test blocks."""
    start = int(np.ceil(n_rows * CV_INITIAL_SHARE))
    return np.unique(np.linspace(start, n_rows, CV_TEST_BLOCKS + 1).round().astype(int))


def clamp_to_training(training: TrainingSet, train_end: int, test_end: int) -> np.ndarray:
    """Test rows of the design with numeric controls clamped to the training window's range,
    as the deployed model clamps to its own training range (no extrapolation of the time trend)."""
    test = training.design[train_end:test_end].copy()
    columns = 1 + np.array(training.controls.clamped, dtype=int)
    if columns.size:
        seen = training.design[:train_end, columns]
        test[:, columns] = np.clip(test[:, columns], seen.min(axis=0), seen.max(axis=0))
    return test


def cross_validate(training: TrainingSet, full_fit: LogitFit) -> CrossValidation:
    """Refit the whole procedure (rules, budget, fit) on each time prefix; predict the next block."""
    edges = fold_edges(training.outcome.size)
    etas, outcomes, aucs, baselines = [], [], [], []
    for train_end, test_end in zip(edges[:-1], edges[1:]):
        screening = screen(training, int(train_end))
        if not screening.fittable:
            continue
        fit = fit_rows(training, screening, warm_start=full_fit)
        eta = fit.linear_predictor(clamp_to_training(training, train_end, test_end))
        y = training.outcome[train_end:test_end]
        etas.append(eta)
        outcomes.append(y)
        aucs.append(auc_score(y, eta))
        baselines.append(np.full(y.size, training.outcome[:train_end].mean()))
    return CrossValidation(len(aucs), _concat(etas), _concat(outcomes), np.array(aucs), _concat(baselines))


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)


@dataclass(frozen=True)
class Calibration:
    """Logistic recalibration p = expit(intercept + slope * eta), estimated on out-of-fold predictions.

    `applied` is True when the Wald test of (intercept, slope) = (0, 1) rejects at 5%.
    """

    intercept: float = float("nan")
    slope: float = float("nan")
    p_value: float = float("nan")
    applied: bool = False

    def apply(self, eta: np.ndarray) -> np.ndarray:
        return self.intercept + self.slope * eta if self.applied else eta


def calibrate(cv: CrossValidation) -> Calibration:
    """Cox recalibration fit on the out-of-fold linear predictor; applied only if miscalibrated."""
    y = cv.outcome
    if cv.deals < 2 or y.min() == y.max():
        return Calibration()
    fit = fit_logit(np.column_stack([np.ones(cv.deals), cv.linear_predictor]), y, ["a", "b"])
    if not fit.kept.all():
        return Calibration()
    distance = fit.coef - np.array([0.0, 1.0])
    wald = float(distance @ np.linalg.solve(fit.cov, distance))
    p_value = float(stats.chi2.sf(wald, df=2))
    return Calibration(float(fit.coef[0]), float(fit.coef[1]), p_value, p_value < SIGNIFICANCE)


@dataclass(frozen=True)
class SegmentModel:
    """A fitted adjusted win model of one segment ('*' = all deals).

    Design columns (`feature_names`): 'intercept', the control columns, then one 0/1 column per item
    ('role:cfo', 'value_proposition:vp_yield', ...). `design(deals)` builds that matrix for any
    deals frame with the deal_coverage columns; `predict_design` turns a (possibly edited) design into
    win probabilities, so counterfactuals are column edits: `counterfactual` switches one item on/off
    on the deals whose map holds it. For an Oaxaca-Blinder style comparison, replace item columns
    with another group's mean behaviour and compare `predict_design` averages. `evidence` has one row
    per item column (kind, item_id, log_odds, std_error, odds_ratio with CI, p_value, q_value (BH
    within the segment), significant).
    """

    segment: str
    feature_names: list[str]
    coef: np.ndarray
    cov: np.ndarray
    controls: ControlEncoder
    control_columns: np.ndarray
    items: ItemSpace
    feature_means: np.ndarray
    evidence: pl.DataFrame
    calibration: Calibration = field(default_factory=Calibration)

    @property
    def item_offset(self) -> int:
        """Design column of the first item (after the intercept and the controls)."""
        return 1 + self.control_columns.size

    @property
    def item_columns(self) -> dict[str, int]:
        """Design column of each item feature name."""
        return {name: self.item_offset + j for j, name in enumerate(self.items.names)}

    def design(self, deals: pl.DataFrame) -> np.ndarray:
        """Design matrix (deals x feature_names) for deals with the deal_coverage columns."""
        controls = self.controls.transform(deals)[:, self.control_columns]
        return _stack(np.ones(deals.height), controls, self.items.presence(deals))

    def linear_predictor(self, design: np.ndarray, calibrated: bool = True) -> np.ndarray:
        eta = design @ self.coef
        return self.calibration.apply(eta) if calibrated else eta

    def predict_design(self, design: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Win probability for each row of a design matrix."""
        return special.expit(self.linear_predictor(design, calibrated))

    def predict_proba(self, deals: pl.DataFrame, calibrated: bool = True) -> np.ndarray:
        """Win probability of each deal as it stands."""
        return self.predict_design(self.design(deals), calibrated)

    def counterfactual(self, deals: pl.DataFrame, feature: str, present: bool, calibrated: bool = True) -> np.ndarray:
        """Win probability with one item switched on or off on the deals whose map holds it."""
        design = self.design(deals)
        column = self.item_columns[feature]
        holds = self.items.applicable(deals.get_column("map_id"))[:, column - self.item_offset]
        design[holds, column] = float(present)
        return self.predict_design(design, calibrated)

    def contributions(self, design: np.ndarray) -> np.ndarray:
        """Per-item log-odds contribution relative to the average training deal (deals x items)."""
        offset = self.item_offset
        return (design[:, offset:] - self.feature_means[offset:]) * self.coef[offset:]


@dataclass(frozen=True)
class SegmentFit:
    """Everything one segment fit produced: the screening, the full fit, CV and the model."""

    training: TrainingSet
    screening: Screening
    fit: LogitFit
    cv: CrossValidation
    calibration: Calibration
    model: SegmentModel

    @property
    def evidence(self) -> pl.DataFrame:
        """Item estimates of the full fit, including items dropped from it (null estimates)."""
        return item_evidence(self.fit, self.training.items.names)


def fit_segment(training: TrainingSet) -> SegmentFit | None:
    """Screen, fit on all rows, cross-validate and calibrate; None if the segment rule fails."""
    n_rows = training.outcome.size
    screening = screen(training, n_rows)
    if not screening.fittable:
        return None
    fit = fit_rows(training, screening)
    cv = cross_validate(training, fit)
    calibration = calibrate(cv)
    return SegmentFit(training, screening, fit, cv, calibration, _segment_model(training, fit, calibration))


def _segment_model(training: TrainingSet, fit: LogitFit, calibration: Calibration) -> SegmentModel:
    kept = fit.kept
    columns = fit.columns[kept]
    n_controls = training.n_controls
    control_columns = columns[(columns >= 1) & (columns <= n_controls)] - 1
    item_positions = training.candidates[columns[columns > n_controls] - 1 - n_controls]
    means = training.design.mean(axis=0)[columns]
    return SegmentModel(
        segment=training.segment,
        feature_names=[fit.names[j] for j in np.flatnonzero(kept)],
        coef=fit.coef[kept],
        cov=fit.cov[np.ix_(kept, kept)],
        controls=training.controls,
        control_columns=control_columns,
        items=training.items.subset(item_positions),
        feature_means=means,
        evidence=item_evidence(fit, training.items.names).filter(pl.col("log_odds").is_not_null()),
        calibration=calibration,
    )


def item_evidence(fit: LogitFit, item_names: list[str]) -> pl.DataFrame:
    """Adjusted estimates of the item columns of a fit, with BH q-values within the segment."""
    names = set(item_names)
    rows = np.array([j for j, name in enumerate(fit.names) if name in names], dtype=int)
    q = bh_qvalues(fit.p_value[rows])
    kinds_ids = [fit.names[j].split(":", 1) for j in rows]
    return pl.DataFrame(
        {
            "feature": [fit.names[j] for j in rows],
            "kind": [k for k, _ in kinds_ids],
            "item_id": [i for _, i in kinds_ids],
            "log_odds": fit.coef[rows],
            "std_error": fit.std_error[rows],
            "odds_ratio": np.exp(fit.coef[rows]),
            "or_ci_low": np.exp(fit.ci_low[rows]),
            "or_ci_high": np.exp(fit.ci_high[rows]),
            "p_value": fit.p_value[rows],
            "q_value": q,
            "significant": (np.nan_to_num(q, nan=1.0) < SIGNIFICANCE)
            & (np.abs(np.nan_to_num(fit.coef[rows])) >= np.log(MIN_ODDS_RATIO)),
        },
        schema_overrides={"kind": pl.Utf8, "item_id": pl.Utf8, "feature": pl.Utf8},
        nan_to_null=True,
    )
