"""Empirical Bayes for reps' win rates: a beta prior estimated from all reps, posteriors and rank intervals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

RANK_DRAWS = 4000  # posterior draws for the rank interval (fixed seed: reproducible)


@dataclass(frozen=True)
class BetaPrior:
    """A Beta(alpha, beta) prior on reps' win rates, estimated from all reps."""

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """Prior weight in deals: a rep's own rate counts n / (n + strength) in the shrunk rate."""
        return self.alpha + self.beta

    def posterior(self, wins: np.ndarray, trials: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, ...]:
        """Posterior mean and equal-tailed interval of each rep's win rate."""
        a = self.alpha + np.asarray(wins, dtype=float)
        b = self.beta + np.asarray(trials, dtype=float) - np.asarray(wins, dtype=float)
        tail = (1 - level) / 2
        return a / (a + b), stats.beta.ppf(tail, a, b), stats.beta.isf(tail, a, b)

    def rank_interval(self, wins: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """95% interval of each rep's rank (1 = best) under the reps' independent posteriors."""
        rng = np.random.default_rng(0)
        draws = rng.beta(self.alpha + wins, self.beta + trials - wins, size=(RANK_DRAWS, wins.size))
        ranks = np.argsort(np.argsort(-draws, axis=1), axis=1) + 1
        low, high = np.quantile(ranks, [0.025, 0.975], axis=0, method="inverted_cdf")
        return low.astype(np.int64), high.astype(np.int64)


def fit_beta_prior(wins: np.ndarray, trials: np.ndarray) -> BetaPrior | None:
    """Beta prior maximising the beta-binomial marginal likelihood of the reps' wins and closed deals.

    The strength (alpha + beta) is capped at the total closed deals: when reps look alike the prior
    never claims more certainty than all the deals it was estimated from. None without closed deals.
    scipy's `betabinom` has no fit method, hence the two-parameter optimisation here.
    """
    wins, trials = np.asarray(wins, dtype=float), np.asarray(trials, dtype=float)
    keep = trials > 0
    wins, trials = wins[keep], trials[keep]
    if trials.sum() == 0:
        return None
    pooled = np.clip(wins.sum() / trials.sum(), 1e-4, 1 - 1e-4)
    cap = float(np.log(trials.sum()))
    start = np.array([special.logit(pooled), min(np.log(10.0), cap)])
    result = optimize.minimize(
        _negative_log_likelihood, start, args=(wins, trials), jac=True, method="L-BFGS-B",
        bounds=[(-12.0, 12.0), (np.log(1e-2), cap)], options={"ftol": 1e-14, "gtol": 1e-10},
    )
    mean, strength = special.expit(result.x[0]), np.exp(result.x[1])
    return BetaPrior(mean * strength, (1 - mean) * strength)


def _negative_log_likelihood(theta: np.ndarray, wins: np.ndarray, trials: np.ndarray) -> tuple[float, np.ndarray]:
    """Beta-binomial negative log marginal likelihood (without the binomial constant) and its gradient
    in (logit mean, log strength)."""
    mean, strength = special.expit(theta[0]), np.exp(theta[1])
    a, b = mean * strength, (1 - mean) * strength
    losses = trials - wins
    value = np.sum(special.betaln(wins + a, losses + b) - special.betaln(a, b))
    common = special.digamma(a + b) - special.digamma(trials + a + b)
    d_a = np.sum(special.digamma(wins + a) - special.digamma(a) + common)
    d_b = np.sum(special.digamma(losses + b) - special.digamma(b) + common)
    gradient = np.array([(d_a - d_b) * strength * mean * (1 - mean), d_a * a + d_b * b])
    return -float(value), -gradient
