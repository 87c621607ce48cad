"""Do reps differ beyond chance? Raw win rates (Pearson chi-square) and after the adjusted model (score test)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse, special, stats

from valuedata.analysis.scored import ScoredGroup
from valuedata.vocabulary import SIGNIFICANCE

RANK_TOLERANCE = 1e-6  # relative eigenvalue below which the score test's information counts as singular
RAW_TEST = "chi-square test of equal win rates across reps (Pearson, reps x won/lost)"
RESIDUAL_TEST = "score test of a rep effect added to the adjusted win model (behaviours and deal mix)"

HETEROGENEITY_SCHEMA = {
    "test": pl.Utf8,
    "statistic": pl.Float64,
    "df": pl.Int64,
    "p_value": pl.Float64,
    "verdict": pl.Utf8,
    "reps": pl.Int64,
    "closed_deals": pl.Int64,
    "residual_test": pl.Utf8,
    "residual_statistic": pl.Float64,
    "residual_df": pl.Int64,
    "residual_p_value": pl.Float64,
    "modelled_deals": pl.Int64,
}


@dataclass(frozen=True)
class ScoreTest:
    """Rao score test of a rep effect added to the adjusted model; per-rep scores and information."""

    reps: list[str]
    score: np.ndarray
    information: np.ndarray

    def _spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigenvalues of the information above a relative tolerance, and the score in their directions
        (the information is singular: a shift common to all reps is absorbed by the intercepts)."""
        values, vectors = np.linalg.eigh(self.information)
        keep = values > RANK_TOLERANCE * max(values.max(initial=0.0), 0.0)
        return values[keep], vectors[:, keep].T @ self.score

    @property
    def statistic(self) -> float:
        values, projected = self._spectrum()
        return float(np.sum(projected**2 / values))

    @property
    def df(self) -> int:
        return int(self._spectrum()[0].size)

    @property
    def p_value(self) -> float:
        return float(stats.chi2.sf(self.statistic, self.df)) if self.df else float("nan")

    def rep_p_values(self) -> np.ndarray:
        """Two-sided p-value of each rep's own effect (the others held at zero)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return 2 * stats.norm.sf(np.abs(self.score) / np.sqrt(np.diag(self.information)))


def score_test(groups: list[ScoredGroup]) -> ScoreTest:
    """Score test of H0: no rep effect beyond the model, for rep indicators common to all models.

    Each model contributes U = Z'(y - p) and the efficient information Z'WZ - Z'WX cov X'WZ, which
    accounts for the model's own estimated coefficients (p from the maximum-likelihood fit). statsmodels'
    `Logit.score_test(exog_extra=...)` gives the same for one model (checked in tests/test_reps.py); here
    the models' contributions add up over segments.
    """
    reps = sorted(set().union(*(g.deals.get_column("rep_id").to_list() for g in groups)))
    index = pl.Series(reps, dtype=pl.Utf8)
    score, information = np.zeros(len(reps)), np.zeros((len(reps), len(reps)))
    for g in groups:
        code = g.deals.get_column("rep_id").replace_strict(index, pl.Series(np.arange(len(reps)))).to_numpy()
        p = special.expit(g.eta)
        w = p * (1 - p)
        rows, shape = (np.arange(code.size), code), (code.size, len(reps))
        weighted = sparse.csr_array((w, rows), shape=shape)  # the rep indicators times the weights
        cross = weighted.T @ g.design
        score += sparse.csr_array((np.ones(code.size), rows), shape=shape).T @ (g.deals.get_column("won").to_numpy() - p)
        information += np.diag(weighted.sum(axis=0)) - cross @ g.model.cov @ cross.T
    return ScoreTest(reps, score, information)


def pearson_test(wins: np.ndarray, trials: np.ndarray) -> tuple[float, int, float]:
    """Pearson chi-square of equal win rates across reps with closed deals: (statistic, df, p_value);
    NaN with fewer than two reps or when every closed deal has the same outcome."""
    keep = trials > 0
    wins, trials = wins[keep].astype(float), trials[keep].astype(float)
    if keep.sum() < 2 or wins.sum() in (0, trials.sum()):
        return float("nan"), 0, float("nan")
    result = stats.chi2_contingency(np.column_stack([wins, trials - wins]), correction=False)
    return float(result.statistic), int(result.dof), float(result.pvalue)


def heterogeneity_verdict(p_value: float, residual_p_value: float) -> str:
    """The plain-language reading of the two tests."""
    if not np.isfinite(p_value):
        return "cannot test: fewer than two reps with closed deals, or every closed deal has the same outcome"
    if p_value >= SIGNIFICANCE:
        return (f"reps do not differ beyond chance (p = {p_value:.2g}): do not coach on win rate; "
                "differences in the scorecard are noise")
    raw = f"reps differ beyond chance (p = {p_value:.2g})"
    if not np.isfinite(residual_p_value):
        return raw + "; no adjusted model, so whether behaviours explain it cannot be tested"
    if residual_p_value >= SIGNIFICANCE:
        return (raw + f", and their behaviours on the value map and their deal mix account for it "
                f"(residual p = {residual_p_value:.2g}): coach on the behaviour gaps")
    return (raw + f", and part of it is not explained by the value map's behaviours or deal mix "
            f"(residual p = {residual_p_value:.2g}): coach on the gaps, and look beyond the map too")


def heterogeneity(closed: pl.DataFrame, groups: list[ScoredGroup]) -> tuple[pl.DataFrame, ScoreTest]:
    """analytics.rep_heterogeneity's one row, and the score test behind its residual columns."""
    per_rep = closed.group_by("rep_id").agg(n=pl.len(), k=pl.col("won").sum())
    statistic, df, p_value = pearson_test(per_rep["k"].to_numpy(), per_rep["n"].to_numpy())
    residual = score_test(groups)
    residual_p = residual.p_value
    row = {
        "test": RAW_TEST, "statistic": statistic, "df": df, "p_value": p_value,
        "verdict": heterogeneity_verdict(p_value, residual_p),
        "reps": per_rep.height, "closed_deals": closed.height,
        "residual_test": RESIDUAL_TEST, "residual_statistic": residual.statistic if residual.df else None,
        "residual_df": residual.df, "residual_p_value": residual_p,
        "modelled_deals": sum(g.deals.height for g in groups),
    }
    return pl.DataFrame([row], schema=HETEROGENEITY_SCHEMA).fill_nan(None), residual
