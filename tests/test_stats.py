"""The statistics library against statsmodels / scikit-learn on well-posed data, and its edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.metrics import roc_auc_score
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from valuedata.analysis.stats import auc_score, bh_qvalues, fit_logit, newcombe_interval, wilson_interval

RNG = np.random.default_rng(20260327)


def _counts(size: int) -> tuple[np.ndarray, np.ndarray]:
    trials = RNG.integers(1, 400, size)
    successes = RNG.binomial(trials, RNG.uniform(0, 1, size))
    successes[:3], trials[:3] = [0, 5, 7], [5, 5, 9]  # include both boundaries
    return successes, trials


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_wilson_matches_statsmodels(alpha):
    successes, trials = _counts(500)
    low, high = wilson_interval(successes, trials, alpha)
    ref_low, ref_high = proportion_confint(successes, trials, alpha=alpha, method="wilson")
    np.testing.assert_allclose(low, ref_low, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(high, ref_high, rtol=1e-12, atol=1e-14)


def test_wilson_is_nan_without_trials():
    low, high = wilson_interval(np.array([0, 3]), np.array([0, 10]))
    assert np.isnan(low[0]) and np.isnan(high[0]) and 0 < low[1] < 0.3 < high[1]


def test_newcombe_matches_statsmodels():
    x1, n1 = _counts(400)
    x2, n2 = _counts(400)
    low, high = newcombe_interval(x1, n1, x2, n2)
    ref_low, ref_high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    np.testing.assert_allclose(low, ref_low, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(high, ref_high, rtol=1e-12, atol=1e-14)
    assert np.all(low <= x1 / n1 - x2 / n2) and np.all(x1 / n1 - x2 / n2 <= high)


def test_newcombe_is_nan_when_a_side_is_empty():
    low, high = newcombe_interval(np.array([3]), np.array([10]), np.array([0]), np.array([0]))
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_bh_matches_statsmodels():
    p = np.concatenate([RNG.uniform(0, 1, 200), RNG.uniform(0, 1e-3, 20), [0.0, 1.0, 0.5, 0.5]])
    np.testing.assert_allclose(bh_qvalues(p), multipletests(p, method="fdr_bh")[1], rtol=1e-12)


def test_bh_ignores_missing_p_values():
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan])
    q = bh_qvalues(p)
    finite = ~np.isnan(p)
    assert np.isnan(q[~finite]).all()
    np.testing.assert_allclose(q[finite], multipletests(p[finite], method="fdr_bh")[1])
    assert np.isnan(bh_qvalues(np.array([np.nan]))).all() and bh_qvalues(np.array([])).size == 0


def test_auc_matches_sklearn_with_ties():
    y = RNG.random(3000) < 0.4
    score = np.round(RNG.normal(size=3000) + y, 1)
    assert auc_score(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert np.isnan(auc_score(np.ones(5), np.arange(5)))


def _logistic_data(n: int = 4000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    design = np.column_stack(
        [np.ones(n), rng.normal(size=(n, 3)), rng.random((n, 5)) < [0.1, 0.3, 0.5, 0.7, 0.05]]
    ).astype(float)
    beta = np.array([-0.4, 0.6, -0.3, 0.0, 1.1, 0.0, -0.7, 0.2, 0.9])
    outcome = (rng.random(n) < 1 / (1 + np.exp(-design @ beta))).astype(float)
    return design, outcome


def _assert_matches(fit, reference, columns=slice(None)):
    np.testing.assert_allclose(fit.coef[columns], reference.params, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(fit.std_error[columns], reference.bse, rtol=1e-7)
    np.testing.assert_allclose(fit.p_value[columns], reference.pvalues, rtol=1e-6, atol=1e-300)
    ci = reference.conf_int()
    np.testing.assert_allclose(fit.ci_low[columns], ci[:, 0], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(fit.ci_high[columns], ci[:, 1], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(fit.cov[columns, columns], reference.cov_params(), rtol=1e-6, atol=1e-12)
    assert fit.log_likelihood == pytest.approx(reference.llf, rel=1e-10)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_logit_matches_statsmodels(seed):
    design, outcome = _logistic_data(seed=seed)
    fit = fit_logit(design, outcome)
    _assert_matches(fit, sm.Logit(outcome, design).fit(disp=0))
    assert fit.converged and not fit.dropped and fit.n_obs == outcome.size


def test_logit_on_a_column_subset_matches_statsmodels():
    design, outcome = _logistic_data()
    columns = np.array([0, 2, 4, 7])
    fit = fit_logit(design, outcome, [f"c{j}" for j in range(design.shape[1])], columns=columns)
    assert fit.names == ["c0", "c2", "c4", "c7"]
    _assert_matches(fit, sm.Logit(outcome, design[:, columns]).fit(disp=0))
    np.testing.assert_allclose(fit.linear_predictor(design), design[:, columns] @ fit.coef)


def test_logit_small_chunks_give_the_same_answer(monkeypatch):
    design, outcome = _logistic_data(n=1500)
    whole = fit_logit(design, outcome)
    monkeypatch.setattr("valuedata.analysis.stats.CHUNK_ROWS", 97)
    np.testing.assert_allclose(fit_logit(design, outcome).coef, whole.coef, rtol=1e-10)


def test_collinear_and_constant_columns_are_dropped_and_named():
    design, outcome = _logistic_data()
    names = [f"c{j}" for j in range(design.shape[1])]
    extended = np.column_stack([design, design[:, 5], np.full(len(outcome), 3.0), design[:, 6] + 2 * design[:, 7], np.zeros(len(outcome))])
    fit = fit_logit(extended, outcome, names + ["dup_c5", "three", "combo", "zeros"])
    assert fit.dropped == {
        "dup_c5": "aliased with c5",
        "three": "constant",
        "combo": "aliased with c7, c6",
        "zeros": "constant",
    }
    _assert_matches(fit, sm.Logit(outcome, design).fit(disp=0), columns=slice(0, design.shape[1]))
    assert np.isnan(fit.coef[-4:]).all() and np.isnan(fit.p_value[-4:]).all()


def test_quasi_complete_separation_is_reported():
    design, outcome = _logistic_data()
    separator = np.zeros(len(outcome))
    separator[np.flatnonzero(outcome == 1)[:60]] = 1.0  # only ever seen on wins
    fit = fit_logit(np.column_stack([design, separator]), outcome)
    assert fit.separated == ["x9"] and fit.dropped["x9"].startswith("separation")
    assert np.isnan(fit.coef[-1]) and np.isfinite(fit.coef[:-1]).all()
    reference = sm.Logit(outcome, design).fit(disp=0)
    assert np.max(np.abs(fit.coef[:-1] - reference.params)) < 0.1


def test_complete_separation_of_a_continuous_column_is_reported():
    rng = np.random.default_rng(4)
    x = rng.normal(size=400)
    outcome = (x > 0.3).astype(float)
    fit = fit_logit(np.column_stack([np.ones(400), x, rng.normal(size=400)]), outcome, ["const", "x", "noise"])
    assert "x" in fit.dropped and np.isfinite(fit.coef[[0, 2]]).all()


def test_near_collinear_column_is_reported_not_called_separation():
    design, outcome = _logistic_data()
    almost = design[:, 1] + 1e-3 * np.random.default_rng(9).normal(size=len(outcome))
    fit = fit_logit(np.column_stack([design, almost]), outcome)
    assert fit.converged and not fit.separated
    assert set(fit.dropped) <= {"x1", "x9"} and fit.dropped and all(r.startswith("almost") for r in fit.dropped.values())


def test_single_class_outcome_is_refused():
    with pytest.raises(ValueError, match="single class"):
        fit_logit(np.ones((10, 1)), np.zeros(10))
