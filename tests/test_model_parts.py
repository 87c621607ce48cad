"""The parts of the win models that real exports stress: leaks, folds, one-of groups, calibration, boosting."""

from __future__ import annotations

import os

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_info

from valuedata.analysis.crossval import (
    BOOSTING, LARGE_CV_DEALS, LOGISTIC, PARALLEL_BOOSTING_ROWS, Calibration, CrossValidation, boosting_threads,
    calibrate, idle_cores, make_folds,
)
from valuedata.analysis.leaks import outcome_leaks
from valuedata.analysis.model import one_of_groups


def _closed(n: int = 1000, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    won = rng.random(n) < 0.4
    return pl.DataFrame({
        "outcome": np.where(won, "won", "lost"),
        "amount": np.where(won, rng.uniform(1e3, 1e5, n), 0.0),
        "stage_reached": np.where(rng.random(n) < 0.97, np.where(won, "closed won", "closed lost"), "proposal"),
        "lead_source": rng.choice(["web", "partner", "event"], n),
        "competitors": rng.poisson(2, n).astype(float),
    })


def test_columns_filled_at_close_are_leaks_and_honest_columns_are_not():
    closed = _closed()
    leaks = {leak.column: leak for leak in outcome_leaks(closed, ["amount", "stage_reached", "lead_source", "competitors"], 20)}
    assert set(leaks) == {"amount", "stage_reached"}
    assert leaks["amount"].auc == pytest.approx(1.0)
    assert "0.0 on 100% of lost deals and 0% of won deals" in leaks["amount"].describe()
    assert "docs/sources.md" in leaks["amount"].describe()


def test_a_field_left_empty_on_lost_deals_leaks_too():
    closed = _closed().with_columns(amount=pl.when(pl.col("outcome") == "won").then(pl.col("amount")))
    assert [leak.column for leak in outcome_leaks(closed, ["amount"], 20)] == ["amount"]


def test_folds_follow_time_only_when_dates_order_the_deals():
    rng = np.random.default_rng(1)
    outcome = (rng.random(500) < 0.3).astype(float)
    spread = pl.Series(np.sort(rng.integers(0, 400, 500))).cast(pl.Date)
    timed = make_folds(spread, outcome)
    assert timed.time_ordered and timed.scheme.startswith("time-ordered") and len(timed.splits) == 5
    one_date = make_folds(pl.Series([0] * 500).cast(pl.Date), outcome)
    assert not one_date.time_ordered and "only 1 distinct close date" in one_date.scheme
    assert one_date.scheme.startswith("stratified random 5-fold")
    tested = np.concatenate([test for _, test in one_date.splits])
    assert np.array_equal(np.sort(tested), np.arange(500))
    for train, test in one_date.splits:
        assert abs(outcome[test].mean() - outcome.mean()) < 0.03  # stratified
        assert not np.intersect1d(train, test).size
    quarter_end = pl.Series(np.where(rng.random(500) < 0.4, 0, rng.integers(1, 400, 500))).cast(pl.Date)
    assert "one close date holds" in make_folds(quarter_end, outcome).scheme


def test_three_folds_from_the_large_size_on_each_testing_at_least_50000_deals():
    rng = np.random.default_rng(4)
    outcome = (rng.random(LARGE_CV_DEALS) < 0.3).astype(float)
    dates = pl.Series(np.sort(rng.integers(0, 1000, LARGE_CV_DEALS))).cast(pl.Date)
    timed = make_folds(dates, outcome)
    assert timed.scheme.endswith("; 3 folds") and [t.stop - t.start for _, t in timed.splits] == [50_000] * 3
    assert timed.splits[-1][1].stop == LARGE_CV_DEALS and timed.splits[0][0] == slice(0, LARGE_CV_DEALS // 2)
    random = make_folds(pl.Series([0] * LARGE_CV_DEALS).cast(pl.Date), outcome)
    assert random.scheme.startswith("stratified random 3-fold") and len(random.splits) == 3
    assert len(make_folds(dates[:-1], outcome[:-1]).splits) == 5


def test_one_of_groups_take_the_most_frequent_item_as_reference():
    rng = np.random.default_rng(2)
    n = 3000
    line = rng.choice(4, n, p=[0.1, 0.2, 0.4, 0.3])
    other = rng.random(n) < 0.5
    presence = np.column_stack([line == k for k in range(4)] + [other])
    controls = rng.normal(size=(n, 1))
    groups = one_of_groups(controls, presence, np.arange(5), presence.sum(axis=0))
    assert len(groups) == 1 and groups[0].members == (0, 1, 2, 3) and groups[0].reference == 2
    partial = presence.copy()
    partial[:5, :4] = False  # five deals with no line: no longer exactly one per deal
    assert one_of_groups(controls, partial, np.arange(5), partial.sum(axis=0)) == []


def test_one_of_items_match_statsmodels_with_the_reference_dropped():
    rng = np.random.default_rng(3)
    n = 4000
    line = rng.choice(3, n, p=[0.3, 0.45, 0.25])
    won = (rng.random(n) < 1 / (1 + np.exp(-np.array([0.5, 0.0, -0.7])[line]))).astype(float)
    presence = np.column_stack([line == k for k in range(3)]).astype(float)
    groups = one_of_groups(np.zeros((n, 0)), presence.astype(bool), np.arange(3), presence.sum(axis=0).astype(int))
    assert groups[0].reference == 1
    reference = sm.Logit(won, np.column_stack([np.ones(n), presence[:, [0, 2]]])).fit(disp=0)
    np.testing.assert_allclose(np.exp(reference.params[1:]), np.exp([0.5, -0.7]), rtol=0.25)


def test_recalibration_never_reverses_the_ranking():
    rng = np.random.default_rng(4)
    eta = rng.normal(size=4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(eta))).astype(float)  # the model ranks backwards
    cv = CrossValidation("x", 5, np.arange(4000) % 5, y, np.full(4000, y.mean()), eta, 1 / (1 + np.exp(-eta)))
    calibration = calibrate(cv)
    assert calibration.slope < 0 and not calibration.applied
    assert "reverse the ranking" in calibration.describe()
    p = np.array([0.2, 0.5, 0.8])
    assert np.array_equal(calibration.apply(p), p)
    shifted = Calibration(0.5, 1.0, 0.001, True).apply(p)
    assert (np.diff(shifted) > 0).all() and (shifted > p).all()


def test_boosting_scores_only_when_it_cross_validates_better():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3000, 2))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(float)  # no linear signal at all
    fold = np.arange(3000) % 5
    boosted = np.zeros(3000)
    for f in range(5):
        model = HistGradientBoostingClassifier(random_state=0).fit(x[fold != f], y[fold != f])
        boosted[fold == f] = model.predict_proba(x[fold == f])[:, 1]
    cv = CrossValidation("x", 5, fold, y, np.full(3000, 0.5), x[:, 0] * 0.01, boosted)
    assert cv.boosting_auc == pytest.approx(np.mean([roc_auc_score(y[fold == f], boosted[fold == f]) for f in range(5)]))
    assert cv.scoring_model == BOOSTING and cv.boosting_auc > 0.95
    flat = CrossValidation("x", 5, fold, y, np.full(3000, 0.5), boosted * 10, boosted)
    assert flat.scoring_model == LOGISTIC


def test_small_boosting_fits_use_one_thread_and_idle_cores_are_counted():
    with boosting_threads(PARALLEL_BOOSTING_ROWS - 1):
        threads = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"]
    assert threads and set(threads) == {1}
    assert 0.0 <= idle_cores() <= os.cpu_count()
