"""Out-of-fold judgement of the win models: which folds, how good, which model scores, how calibrated.

Folds follow time when the close dates order the deals (train on the past, test on what came next);
when they do not (one date for every deal, a handful of dates), stratified random folds are used and
`cv_scheme` says so. Both the logistic model and a gradient-boosting model are judged on the same
folds; the better one scores open deals. Recalibration is estimated out of fold only and is never
allowed to reverse the ranking.
"""

from __future__ import annotations

import os
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import polars as pl
from scipy import special, stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import ThreadpoolController

from valuedata.analysis.stats import auc_score, fit_logit
from valuedata.vocabulary import SIGNIFICANCE

CV_FOLDS = 5
# From this many closed deals on, LARGE_CV_FOLDS folds: each test block then holds at least 50,000 deals, and two
# more folds only repeat the estimate. At 1M deals (848,060 closed) three folds gave out-of-fold AUCs within 0.0002
# of five (all deals: logistic 0.78826 / 0.78828, boosting 0.78494 / 0.78508) for 22% less model time (84 -> 66 s).
LARGE_CV_DEALS = 300_000
LARGE_CV_FOLDS = 3
CV_INITIAL_SHARE = 0.5
MIN_DISTINCT_DATES = 12  # fewer distinct close dates than this do not order the deals
MAX_DATE_SHARE = 0.25  # nor does one date holding more than this share of the deals
BOOSTING_ROWS = 50_000
PREDICT_ROWS = 65_536
IDLE_WINDOW = 0.1  # seconds over which idle cores are counted before boosting picks its threads
IDLE_REFRESH = 10.0
PARALLEL_BOOSTING_ROWS = 20_000
BOOSTING_MARGIN = 0.005  # boosting scores open deals only when its CV AUC beats the logistic model's by this
LOGISTIC = "logistic"
BOOSTING = "gradient_boosting"

Rows = slice | np.ndarray


@dataclass(frozen=True)
class Folds:
    """Train/test row selections of one cross-validation, and the scheme in words."""

    scheme: str
    time_ordered: bool
    splits: list[tuple[Rows, Rows]]


def make_folds(close_dates: pl.Series, outcome: np.ndarray) -> Folds:
    """Rolling-origin folds when the close dates order the deals (rows sorted by date), else stratified random;
    CV_FOLDS of them, LARGE_CV_FOLDS from LARGE_CV_DEALS deals on."""
    n_rows = outcome.size
    folds = LARGE_CV_FOLDS if n_rows >= LARGE_CV_DEALS else CV_FOLDS
    sizes = close_dates.value_counts().get_column("count")
    distinct, top_share = sizes.len(), (sizes.max() or 0) / max(n_rows, 1)
    if distinct >= MIN_DISTINCT_DATES and top_share <= MAX_DATE_SHARE:
        start = int(np.ceil(n_rows * CV_INITIAL_SHARE))
        edges = np.unique(np.linspace(start, n_rows, folds + 1).round().astype(int))
        splits = [(slice(0, int(a)), slice(int(a), int(b))) for a, b in zip(edges[:-1], edges[1:])]
        scheme = (f"time-ordered: rolling origin by close date, train on the earliest {CV_INITIAL_SHARE:.0%}, "
                  f"test each following block; {len(splits)} folds")
        return Folds(scheme, True, splits)
    why = (f"only {distinct} distinct close date{'s' if distinct != 1 else ''}" if distinct < MIN_DISTINCT_DATES
           else f"one close date holds {top_share:.0%} of the deals")
    if min(int(outcome.sum()), int(n_rows - outcome.sum())) < folds:
        return Folds(f"none: too few wins or losses for {folds} stratified folds", False, [])
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    splits = [(train, test) for train, test in splitter.split(np.zeros(n_rows), outcome)]
    return Folds(f"stratified random {folds}-fold (close dates do not order the deals: {why})", False, splits)


def fit_booster(design: np.ndarray, outcome: np.ndarray, columns: np.ndarray,
                rows: Rows = slice(None)) -> HistGradientBoostingClassifier:
    """scikit-learn's histogram gradient boosting on the given design columns (the model's own features; fixed
    seed: reproducible), on at most BOOSTING_ROWS evenly spaced rows of `rows`. Only the sampled rows are copied
    out of the design. The cap is measured: at 1M deals (848,060 closed, 164 columns) the out-of-fold AUC
    with 50,000 rows was within 0.001-0.003 of 200,000 rows (0.7856 / 0.7879, 0.7868 / 0.7884, 0.7848 /
    0.7869) at a quarter of the cost (5 s against 19-26 s a fit), and below the logistic model's 0.788."""
    picked = np.arange(outcome.size)[rows]
    sample = picked[:: -(-picked.size // BOOSTING_ROWS)]
    with boosting_threads(sample.size):
        booster = HistGradientBoostingClassifier(early_stopping=True, random_state=0)
        return booster.fit(design[np.ix_(sample, columns)], outcome[sample])


def boosted_probability(booster: HistGradientBoostingClassifier, design: np.ndarray, columns: np.ndarray,
                        rows: Rows = slice(None)) -> np.ndarray:
    """The booster's win probability for the given rows of a design, PREDICT_ROWS rows at a time (never a copy
    of the whole selection)."""
    picked = np.arange(design.shape[0])[rows]
    probability = np.empty(picked.size)
    with boosting_threads(picked.size):
        for start in range(0, picked.size, PREDICT_ROWS):
            block = picked[start : start + PREDICT_ROWS]
            probability[start : start + block.size] = booster.predict_proba(design[np.ix_(block, columns)])[:, 1]
    return probability


def boosting_threads(rows: int) -> AbstractContextManager:
    """Boosting's OpenMP threads: one, or on a fit of at least PARALLEL_BOOSTING_ROWS rows one per core idle right
    now. Its threads spin while they wait, so on busy cores they cost far more than they save (at 100k deals,
    load 5.5 on 2 cores: 59 s with one thread against 171 s with two), while on idle cores two threads halve a big
    fit (50,000 x 164 rows: 7.4 s with one, 4.0 s with two). On small fits a second thread costs more CPU than it
    saves time (measured on 2 idle cores, 100 columns: +35% CPU at 3,000 rows, +12% at 25,000, +5% at 50,000).
    The load average cannot tell idle cores: it still counts this run's own earlier steps."""
    threads = 1 if rows < PARALLEL_BOOSTING_ROWS else max(1, min(os.cpu_count() or 1, int(idle_cores() + 0.25)))
    return _thread_pools().limit(limits=threads, user_api="openmp")


@cache
def _thread_pools() -> ThreadpoolController:
    """The process's thread pools, found once (finding them reads every loaded library: 5 ms a time)."""
    return ThreadpoolController()


_idle_seen: list[float] = []  # [when, idle cores], measured at most every IDLE_REFRESH seconds


def idle_cores() -> float:
    """Cores idle over the last IDLE_WINDOW seconds, from the kernel's CPU counters (0 where there are none)."""
    if _idle_seen and time.monotonic() - _idle_seen[0] < IDLE_REFRESH:
        return _idle_seen[1]
    try:
        before = _cpu_counters()
        time.sleep(IDLE_WINDOW)
        after = _cpu_counters()
    except OSError:
        return 0.0
    busy, idle = (a - b for a, b in zip(after, before))
    cores = (os.cpu_count() or 1) * idle / max(busy + idle, 1)
    _idle_seen[:] = [time.monotonic(), cores]
    return cores


def _cpu_counters() -> tuple[int, int]:
    """(busy, idle) clock ticks of all cores since boot: the first line of /proc/stat (idle = idle + iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle, idle


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-fold predictions of the logistic model (linear predictor) and of gradient boosting
    (probability), with each row's fold and the training base rate it would otherwise be given."""

    scheme: str
    folds: int
    fold: np.ndarray
    outcome: np.ndarray
    baseline: np.ndarray
    logistic: np.ndarray
    boosting: np.ndarray

    @property
    def deals(self) -> int:
        return int(self.outcome.size)

    def auc(self, score: np.ndarray) -> float:
        """Mean AUC over folds with both outcomes."""
        aucs = [auc_score(self.outcome[self.fold == f], score[self.fold == f]) for f in np.unique(self.fold)]
        finite = [a for a in aucs if np.isfinite(a)]
        return float(np.mean(finite)) if finite else float("nan")

    def brier(self, probability: np.ndarray) -> float:
        return float(np.mean((probability - self.outcome) ** 2)) if self.deals else float("nan")

    @property
    def baseline_brier(self) -> float:
        return self.brier(self.baseline)

    @cached_property
    def logistic_auc(self) -> float:
        return self.auc(self.logistic)

    @cached_property
    def boosting_auc(self) -> float:
        return self.auc(self.boosting)

    @cached_property
    def scoring_model(self) -> str:
        """The model whose out-of-fold AUC is better (boosting must win by BOOSTING_MARGIN)."""
        better = self.boosting_auc > self.logistic_auc + BOOSTING_MARGIN
        return BOOSTING if self.deals and better else LOGISTIC

    @cached_property
    def scoring_logit(self) -> np.ndarray:
        """Out-of-fold log-odds of the scoring model."""
        if self.scoring_model == LOGISTIC:
            return self.logistic
        return special.logit(np.clip(self.boosting, 1e-6, 1 - 1e-6))

    @cached_property
    def scored_out_of_fold(self) -> np.ndarray:
        """The scoring model's out-of-fold probabilities, each fold recalibrated from the other folds only
        (so its Brier score does not profit from a recalibration fitted on the rows it is judged on)."""
        logit, y = self.scoring_logit, self.outcome
        probability = special.expit(logit)
        for fold in np.unique(self.fold):
            rows = self.fold == fold
            probability[rows] = _recalibration(logit[~rows], y[~rows]).apply(probability[rows])
        return probability


@dataclass(frozen=True)
class Calibration:
    """Logistic recalibration p = expit(intercept + slope * logit), estimated on out-of-fold predictions.

    `applied` only when the Wald test of (intercept, slope) = (0, 1) rejects at 5% and the slope is
    positive: a recalibration never reverses which deals rank higher.
    """

    intercept: float = float("nan")
    slope: float = float("nan")
    p_value: float = float("nan")
    applied: bool = False

    def apply(self, probability: np.ndarray) -> np.ndarray:
        if not self.applied:
            return probability
        logit = special.logit(np.clip(probability, 1e-9, 1 - 1e-9))
        return special.expit(self.intercept + self.slope * logit)

    def describe(self) -> str:
        if self.applied:
            return "platt"
        if np.isfinite(self.slope) and self.slope <= 0:
            return "none (out-of-fold slope not positive: recalibrating would reverse the ranking)"
        return "none"


def calibrate(cv: CrossValidation) -> Calibration:
    """Cox recalibration of the scoring model, fit on its out-of-fold log-odds."""
    return _recalibration(cv.scoring_logit, cv.outcome)


def _recalibration(logit: np.ndarray, y: np.ndarray) -> Calibration:
    if y.size < 2 or y.min() == y.max():
        return Calibration()
    fit = fit_logit(np.column_stack([np.ones(y.size), logit]), y, ["a", "b"])
    if not fit.kept.all():
        return Calibration()
    distance = fit.coef - np.array([0.0, 1.0])
    wald = float(distance @ np.linalg.solve(fit.cov, distance))
    p_value = float(stats.chi2.sf(wald, df=2))
    slope = float(fit.coef[1])
    return Calibration(float(fit.coef[0]), slope, p_value, p_value < SIGNIFICANCE and slope > 0)
