"""The adjusted win model of one segment: data rules, one-of groups, fitting, cross-validation.

`fit_segment` takes a segment's closed deals (sorted by close date), leaves out columns that leak the
outcome, screens items by the minimum-data rules, gives each one-of group (every deal has exactly one
of its items) a reference item, fits one logistic model over every remaining item plus controls, and
cross-validates the whole procedure (see `valuedata.analysis.crossval`) next to a gradient-boosting
model on the same features. The result is a `SegmentModel`: the logistic model explains
(driver_effects, reps), the better of the two scores open deals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import special
from sklearn.ensemble import HistGradientBoostingClassifier

from valuedata.analysis.crossval import (
    BOOSTING, LOGISTIC, Calibration, CrossValidation, Folds, Rows, boosted_probability, calibrate, fit_booster,
    make_folds,
)
from valuedata.analysis.features import ATTRIBUTE, ControlEncoder, ItemSpace
from valuedata.analysis.leaks import Leak, outcome_leaks
from valuedata.analysis.stats import LogitFit, aliased_columns, bh_qvalues, fit_logit
from valuedata.vocabulary import ALL_SEGMENTS, SIGNIFICANCE

INTERCEPT = "intercept"
# The smallest adjusted odds ratio (or its inverse) called significant: on very many deals a tiny effect,
# e.g. residual confounding of 1.03, clears q < 0.05 but is not worth a sales plan.
MIN_ODDS_RATIO = 1.2
ONE_OF_SAMPLE_ROWS = 50_000  # rows the one-of search looks at; every group found is verified on all rows
ONE_OF_TOLERANCE = 1e-6
# The training design is stored in single precision (half the memory of the largest object of a run): items
# and one-hot levels are exact, standardised controls keep 7 digits; every sum over it is in double precision.
TRAINING_DTYPE = np.float32


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


@dataclass(frozen=True)
class OneOfGroup:
    """Items of which every deal has exactly one (e.g. the product line): the most frequent is the
    reference, left out of the design, and the others are estimated against it. Positions in the ItemSpace."""

    members: tuple[int, ...]
    reference: int


@dataclass
class TrainingSet:
    """Closed deals of one fit in close-date order, with the design over every candidate item.

    Design columns: intercept, controls, then the items passing the minimum-data rule on all rows
    (less each one-of group's reference). Every fold re-applies the rules to its own training rows.
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
    folds: Folds
    leaks: list[Leak]
    one_of: list[OneOfGroup]

    @property
    def names(self) -> list[str]:
        item_names = self.items.names
        return [INTERCEPT, *self.controls.names, *(item_names[j] for j in self.candidates)]

    @property
    def n_controls(self) -> int:
        return len(self.controls.names)

    def counts(self, rows: Rows = slice(None)) -> ItemCounts:
        """ItemCounts over the given rows (all by default)."""
        won = self.outcome[rows].astype(bool)
        return count_items(self.presence[rows], won, self.map_codes[rows], self.items.map_matrix())


def build_training_set(
    segment: str, closed: pl.DataFrame, items: ItemSpace, attribute_columns: list[str], rules: MinimumData
) -> TrainingSet:
    """Encode controls (without leaking columns), item presence, one-of groups and candidate items for
    closed deals sorted by close date."""
    categorical = ("segment",) if segment == ALL_SEGMENTS else ()
    leaks = outcome_leaks(closed, ["amount", *attribute_columns], rules.level_deals)
    controls = ControlEncoder.fit(closed, attribute_columns, categorical=categorical,
                                  min_level_deals=rules.level_deals, leave_out=tuple(leak.column for leak in leaks))
    outcome = (closed.get_column("outcome") == "won").to_numpy().astype(np.float64)
    presence = items.presence(closed)
    map_codes = items.map_codes(closed.get_column("map_id"))
    counts = count_items(presence, outcome.astype(bool), map_codes, items.map_matrix())
    passing = np.flatnonzero(counts.passes(rules))
    control_matrix = controls.transform(closed)
    one_of = one_of_groups(control_matrix, presence, passing, counts.deals_with)
    candidates = np.setdiff1d(passing, [group.reference for group in one_of])
    design = _stack(np.ones(closed.height), control_matrix, presence[:, candidates], dtype=TRAINING_DTYPE)
    close_dates = closed.select(pl.coalesce("closed_at", "created_at")).to_series()
    return TrainingSet(segment, outcome, presence, map_codes, items, controls, candidates, design, rules,
                       make_folds(close_dates, outcome), leaks, one_of)


def one_of_groups(
    controls: np.ndarray, presence: np.ndarray, candidates: np.ndarray, deals_with: np.ndarray
) -> list[OneOfGroup]:
    """Sets of candidate items that sum to a combination of the intercept and controls on every deal,
    each item with weight one (one item per deal, e.g. per map or segment).

    Found by a rank check on a row sample with items in ascending frequency, so the item found aliased
    is the group's most frequent (its reference); every group is then verified on all rows.
    """
    order = candidates[np.argsort(deals_with[candidates], kind="stable")]
    offset = 1 + controls.shape[1]
    rows = np.unique(np.linspace(0, presence.shape[0] - 1, min(presence.shape[0], ONE_OF_SAMPLE_ROWS)).astype(int))

    def column(position: int, at: Rows) -> np.ndarray:
        """One column of [intercept | controls | items in ascending frequency] on the given rows."""
        if position == 0:
            return np.ones(controls[at].shape[0])
        if position < offset:
            return controls[at, position - 1]
        return presence[at, order[position - offset]].astype(np.float64)

    if order.size == 0 or rows.size == 0:
        return []
    sample = np.column_stack([column(position, rows) for position in range(offset + order.size)])
    groups = []
    for j, (kept, weights) in aliased_columns(sample.T @ sample).items():
        partners = [(k, w) for k, w in zip(kept, weights) if k >= offset and abs(w) > ONE_OF_TOLERANCE]
        if j < offset or not partners or any(abs(w + 1) > ONE_OF_TOLERANCE for _, w in partners):
            continue
        residual = column(j, slice(None)) - sum(w * column(k, slice(None)) for k, w in zip(kept, weights))
        if np.max(np.abs(residual)) < ONE_OF_TOLERANCE:
            members = tuple(sorted(int(order[k - offset]) for k, _ in partners)) + (int(order[j - offset]),)
            groups.append(OneOfGroup(tuple(sorted(members)), int(order[j - offset])))
    return groups


def _stack(intercept: np.ndarray, controls: np.ndarray, presence: np.ndarray, dtype=np.float64) -> np.ndarray:
    """[intercept | controls | items] as one C-ordered float matrix, without intermediate copies."""
    n, c = controls.shape
    design = np.empty((n, 1 + c + presence.shape[1]), dtype=dtype)
    design[:, 0] = intercept
    design[:, 1 : 1 + c] = controls
    design[:, 1 + c :] = presence
    return design


@dataclass(frozen=True)
class Screening:
    """Which candidate items enter a fit on the given rows, and why others do not."""

    rows: Rows
    wins: int
    losses: int
    passes: np.ndarray
    in_model: np.ndarray
    budget: int

    @property
    def fittable(self) -> bool:
        return self.budget >= 0


def screen(training: TrainingSet, rows: Rows = slice(None)) -> Screening:
    """Apply the item rule and the events-per-column budget to the given rows.

    The budget keeps the most balanced candidate items (largest min(with, without)), which is outcome-blind.
    """
    rules = training.rules
    counts = training.counts(rows)
    wins = int(training.outcome[rows].sum())
    losses = int(training.outcome[rows].size) - wins
    passes = counts.passes(rules)
    if not rules.segment_ok(wins, losses):
        return Screening(rows, wins, losses, passes, np.zeros_like(passes), -1)
    eligible = passes & np.isin(np.arange(passes.size), training.candidates)
    budget = int(min(wins, losses) // rules.events_per_column) - 1 - training.n_controls
    balance = np.where(eligible, np.minimum(counts.deals_with, counts.deals_without), -1)
    ranked = np.argsort(-balance, kind="stable")[: max(budget, 0)]
    in_model = np.zeros_like(passes)
    in_model[ranked[eligible[ranked]]] = True
    return Screening(rows, wins, losses, passes, in_model, max(budget, 0))


def design_columns(training: TrainingSet, screening: Screening) -> np.ndarray:
    """Design-column indices for a screening: intercept, controls, and its items among the candidates."""
    chosen = np.flatnonzero(screening.in_model[training.candidates])
    return np.concatenate([np.arange(1 + training.n_controls), 1 + training.n_controls + chosen])


def fit_rows(training: TrainingSet, screening: Screening, warm_start: LogitFit | None = None) -> LogitFit:
    """Fit the logistic model on the screening's rows.

    With `warm_start` (the all-rows fit), Newton starts from its coefficients and skips the final
    covariance pass: a purely numerical shortcut for cross-validation folds, whose predictions
    depend only on the fold's own maximum-likelihood estimate.
    """
    columns = design_columns(training, screening)
    design, outcome = training.design[screening.rows], training.outcome[screening.rows]
    if warm_start is None:
        return fit_logit(design, outcome, training.names, columns=columns)
    start = np.zeros(training.design.shape[1])
    start[warm_start.columns] = np.nan_to_num(warm_start.coef)
    return fit_logit(design, outcome, training.names, columns=columns, start=start[columns], exact_covariance=False)


def clamp_to_training(training: TrainingSet, train: Rows, test: Rows) -> np.ndarray:
    """Test rows of the design with numeric controls clamped to the training rows' range,
    as the deployed model clamps to its own training range (no extrapolation of the time trend)."""
    test_design = training.design[test].copy()
    columns = 1 + np.array(training.controls.clamped, dtype=int)
    if columns.size:
        seen = training.design[train][:, columns]
        test_design[:, columns] = np.clip(test_design[:, columns], seen.min(axis=0), seen.max(axis=0))
    return test_design


def cross_validate(training: TrainingSet, full_fit: LogitFit) -> CrossValidation:
    """Refit the whole procedure (rules, budget, fit) on each fold's training rows and predict its test
    rows, with the logistic model and with gradient boosting on the same columns."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("fold", "outcome", "baseline", "logistic", "boosting")}
    folds = 0
    for train, test in training.folds.splits:
        screening = screen(training, train)
        if not screening.fittable:
            continue
        fit = fit_rows(training, screening, warm_start=full_fit)
        features = design_columns(training, screening)[1:]
        booster = fit_booster(training.design, training.outcome, features, train)
        y = training.outcome[test]
        parts["fold"].append(np.full(y.size, folds))
        parts["outcome"].append(y)
        parts["baseline"].append(np.full(y.size, training.outcome[train].mean()))
        parts["logistic"].append(fit.linear_predictor(clamp_to_training(training, train, test)))
        parts["boosting"].append(boosted_probability(booster, training.design, features, test))
        folds += 1
    joined = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    return CrossValidation(training.folds.scheme, folds, **joined)


@dataclass(frozen=True)
class SegmentModel:
    """A fitted adjusted win model of one segment ('*' = all deals).

    Design columns (`feature_names`): 'intercept', the control columns, then one 0/1 column per item
    ('role:cfo', 'value_proposition:vp_yield', ...). `design(deals)` builds that matrix for any
    deals frame with the deal_coverage columns; `predict_design` turns a (possibly edited) design into
    the logistic model's win probabilities (maximum likelihood: over its training deals they add up to
    the wins), so counterfactuals are column edits. `score_design` gives the scoring model's
    probability (logistic or gradient boosting, recalibrated out of fold) for open deals. `evidence`
    has one row per item column (kind, item_id, log_odds, std_error, odds_ratio with CI, p_value,
    q_value (BH within the segment), significant). `maps` are the value maps of its training deals;
    `one_of_features` the items of one-of groups (a deal's product line, say: not an action to add).
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
    calibration: Calibration
    booster: HistGradientBoostingClassifier | None
    beats_base_rate: bool
    maps: list[str]
    one_of_features: frozenset[str]

    @property
    def scoring_model(self) -> str:
        return BOOSTING if self.booster is not None else LOGISTIC

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

    def linear_predictor(self, design: np.ndarray) -> np.ndarray:
        return design @ self.coef

    def predict_design(self, design: np.ndarray) -> np.ndarray:
        """The logistic model's win probability for each row of a design matrix."""
        return special.expit(self.linear_predictor(design))

    def predict_proba(self, deals: pl.DataFrame) -> np.ndarray:
        """The logistic model's win probability of each deal as it stands."""
        return self.predict_design(self.design(deals))

    def score_design(self, design: np.ndarray) -> np.ndarray:
        """The scoring model's win probability for each row of a design matrix."""
        if self.booster is None:
            return self.calibration.apply(self.predict_design(design))
        return self.calibration.apply(boosted_probability(self.booster, design, np.arange(1, design.shape[1])))

    def counterfactual(self, deals: pl.DataFrame, feature: str, present: bool) -> np.ndarray:
        """The logistic model's win probability with one item switched on or off on the deals whose map holds it."""
        design = self.design(deals)
        column = self.item_columns[feature]
        holds = self.items.applicable(deals.get_column("map_id"))[:, column - self.item_offset]
        design[holds, column] = float(present)
        return self.predict_design(design)

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
        """Estimates of the full fit's items and attributes, including those dropped from it (null estimates)."""
        return term_evidence(self.fit, self.training)


def fit_segment(training: TrainingSet) -> SegmentFit | None:
    """Screen, fit on all rows, cross-validate, choose the scoring model and calibrate it; None if the
    segment rule fails."""
    screening = screen(training)
    if not screening.fittable:
        return None
    fit = fit_rows(training, screening)
    cv = cross_validate(training, fit)
    calibration = calibrate(cv)
    return SegmentFit(training, screening, fit, cv, calibration, _segment_model(training, fit, cv, calibration))


def _segment_model(training: TrainingSet, fit: LogitFit, cv: CrossValidation, calibration: Calibration) -> SegmentModel:
    kept = fit.kept
    columns = fit.columns[kept]
    n_controls = training.n_controls
    control_columns = columns[(columns >= 1) & (columns <= n_controls)] - 1
    item_positions = training.candidates[columns[columns > n_controls] - 1 - n_controls]
    means = training.design.mean(axis=0, dtype=np.float64)[columns]
    booster = fit_booster(training.design, training.outcome, columns[1:]) if cv.scoring_model == BOOSTING else None
    scoring_brier = cv.brier(cv.scored_out_of_fold)
    return SegmentModel(
        segment=training.segment,
        feature_names=[fit.names[j] for j in np.flatnonzero(kept)],
        coef=fit.coef[kept],
        cov=fit.cov[np.ix_(kept, kept)],
        controls=training.controls,
        control_columns=control_columns,
        items=training.items.subset(item_positions),
        feature_means=means,
        evidence=term_evidence(fit, training).filter(
            pl.col("log_odds").is_not_null() & (pl.col("kind") != ATTRIBUTE)).drop("column"),
        calibration=calibration,
        booster=booster,
        beats_base_rate=bool(cv.deals) and scoring_brier < cv.baseline_brier,
        maps=training.items.maps,
        one_of_features=frozenset(training.items.names[j] for group in training.one_of for j in group.members),
    )



def term_evidence(fit: LogitFit, training: TrainingSet) -> pl.DataFrame:
    """Adjusted estimates of the fit's item and attribute columns, with BH q-values over both within
    the segment. `column` is the design column; `feature` the item's feature name (null for attributes)."""
    items = set(training.items.names)
    attributes = {term.column: term.item_id for term in training.controls.terms() if term.column}
    rows = np.array([j for j, name in enumerate(fit.names) if name in items or name in attributes], dtype=int)
    names = [fit.names[j] for j in rows]
    kinds_ids = [name.split(":", 1) if name in items else (ATTRIBUTE, attributes[name]) for name in names]
    q = bh_qvalues(fit.p_value[rows])
    return pl.DataFrame(
        {
            "column": names,
            "feature": [name if name in items else None for name in names],
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
        schema_overrides={"kind": pl.Utf8, "item_id": pl.Utf8, "feature": pl.Utf8, "column": pl.Utf8},
        nan_to_null=True,
    )
