"""Why some reps outperform: scorecard, a test of whether reps differ at all, behaviour gaps, thoroughness.

Everything builds on the adjusted win models of `valuedata.analysis.drivers` (one per segment, '*' for
all deals). A closed deal is scored by its segment's model, else by the '*' model. See docs/reps.md.

- `rep_scorecard`: win rate with a Wilson interval, an empirical-Bayes (beta-binomial) shrunk rate,
  the rate the model expects from the rep's behaviours and deals, and the rate the average rep's
  behaviour would win on the same deals; a rank (with its 95% interval) for reps with enough deals.
- `rep_heterogeneity`: do reps differ beyond chance, raw and after the model (one row, with a verdict).
- `rep_gaps`: per rep and map item, the gap to the top quartile and the win-rate points it costs.
- `rep_thoroughness`: coverage of key players and of proven winning items, per rep and segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import optimize, sparse, special, stats

from valuedata.analysis.drivers import ALL_SEGMENTS, CLOSED_OUTCOMES
from valuedata.analysis.features import ITEM_LISTS, KIND_ORDER, item_catalogue
from valuedata.analysis.model import SegmentModel
from valuedata.analysis.stats import bh_qvalues, wilson_interval

MIN_CLOSED_DEALS = 20  # below this a rep is flagged small_sample: shrunk, not ranked, not coached
TOP_QUANTILE = 0.75  # reps at or above this quantile of win_rate_shrunk are the top performers
SIGNIFICANCE = 0.05
RANK_DRAWS = 4000  # posterior draws for the rank interval (fixed seed: reproducible)
MIX_GRID = 2048  # behaviour points the mix win rate averages over (see _behaviour_grid)
CHUNK_CELLS = 2_000_000  # deals x team-deals cells per block in mix_win_rate
RANK_TOLERANCE = 1e-6  # relative eigenvalue below which the score test's information counts as singular

RAW_TEST = "chi-square test of equal win rates across reps (Pearson, reps x won/lost)"
RESIDUAL_TEST = "score test of a rep effect added to the adjusted win model (behaviours and deal mix)"

SCORECARD_SCHEMA = {
    "rep_id": pl.Utf8,
    "closed_deals": pl.Int64,
    "wins": pl.Int64,
    "win_rate": pl.Float64,
    "win_rate_shrunk": pl.Float64,
    "expected_win_rate": pl.Float64,
    "mix_win_rate": pl.Float64,
    "key_role_coverage": pl.Float64,
    "name": pl.Utf8,
    "team": pl.Utf8,
    "win_rate_ci_low": pl.Float64,
    "win_rate_ci_high": pl.Float64,
    "win_rate_shrunk_ci_low": pl.Float64,
    "win_rate_shrunk_ci_high": pl.Float64,
    "modelled_deals": pl.Int64,
    "modelled_win_rate": pl.Float64,
    "behaviour_effect": pl.Float64,
    "unexplained": pl.Float64,
    "unexplained_p_value": pl.Float64,
    "team_key_role_coverage": pl.Float64,
    "evidence_items_coverage": pl.Float64,
    "team_evidence_items_coverage": pl.Float64,
    "small_sample": pl.Boolean,
    "top_performer": pl.Boolean,
    "rank": pl.Int64,
    "rank_ci_low": pl.Int64,
    "rank_ci_high": pl.Int64,
    "reps_differ": pl.Boolean,
    "heterogeneity_p_value": pl.Float64,
    "residual_p_value": pl.Float64,
}

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

THOROUGHNESS_SCHEMA = {
    "rep_id": pl.Utf8,
    "segment": pl.Utf8,
    "key_role_coverage": pl.Float64,
    "team_key_role_coverage": pl.Float64,
    "evidence_items_coverage": pl.Float64,
    "team_evidence_items_coverage": pl.Float64,
    "closed_deals": pl.Int64,
    "small_sample": pl.Boolean,
}


# --- scoring closed deals with the adjusted models ------------------------------------------------


@dataclass(frozen=True)
class ScoredGroup:
    """The closed deals one model scores, with its design matrix and uncalibrated linear predictor."""

    model: SegmentModel
    deals: pl.DataFrame
    design: np.ndarray
    eta: np.ndarray

    @property
    def offset(self) -> int:
        """First item column of the design."""
        return 1 + self.model.control_columns.size

    @property
    def probability(self) -> np.ndarray:
        """The adjusted model's win probability of each deal as it stands (maximum likelihood: over the
        model's training deals the probabilities add up to the wins, so expected win rates are
        calibrated in the large)."""
        return special.expit(self.eta)

    def applicable(self) -> np.ndarray:
        """(deals x items): the deal's map holds the item."""
        return self.model.items.applicable(self.deals.get_column("map_id"))

    def evidence(self) -> pl.DataFrame:
        """The model's item evidence (log_odds, odds_ratio, q_value, significant) in item-column order."""
        order = self.model.items.keys
        return order.join(self.model.evidence, on=["kind", "item_id"], how="left", maintain_order="left")


def closed_deals(deals: pl.DataFrame) -> pl.DataFrame:
    """Won and lost deals with a boolean `won`."""
    return deals.filter(pl.col("outcome").is_in(CLOSED_OUTCOMES)).with_columns(won=pl.col("outcome") == "won")


def _model_key(models: dict[str, SegmentModel]) -> pl.Expr:
    """The model that scores a deal: its segment's, else '*'; none without a value map."""
    fallback = pl.lit(ALL_SEGMENTS if ALL_SEGMENTS in models else None, pl.Utf8)
    own = pl.when(pl.col("segment").is_in(list(models))).then(pl.col("segment")).otherwise(fallback)
    return pl.when(pl.col("map_id").is_not_null()).then(own).otherwise(None)


def score_groups(closed: pl.DataFrame, models: dict[str, SegmentModel]) -> list[ScoredGroup]:
    """Closed deals split by the model that scores them, each with its design and linear predictor."""
    assigned = closed.with_columns(_model=_model_key(models)).filter(pl.col("_model").is_not_null())
    groups = []
    for key in assigned.get_column("_model").unique().sort().to_list():
        rows = assigned.filter(pl.col("_model") == key).drop("_model")
        model = models[key]
        design = model.design(rows)
        groups.append(ScoredGroup(model, rows, design, model.linear_predictor(design)))
    return groups


def mix_probability(group: ScoredGroup) -> np.ndarray:
    """Each deal's win probability averaged over the behaviours of every modelled deal on its map.

    The deal keeps its own controls (amount, date, attributes); its item columns are replaced in turn
    by each team deal's, so the result is what the average rep's behaviour would win on this deal.
    """
    coef, offset = group.model.coef, group.offset
    own = group.design[:, :offset] @ coef[:offset]
    behaviour = group.design[:, offset:] @ coef[offset:]
    maps = group.deals.get_column("map_id").to_numpy()
    mix = np.empty(group.deals.height)
    for map_id in np.unique(maps):
        rows = np.flatnonzero(maps == map_id)
        team, weight = _behaviour_grid(behaviour[rows])
        step = max(1, CHUNK_CELLS // team.size)
        for start in range(0, rows.size, step):
            block = rows[start : start + step]
            mix[block] = special.expit(own[block, None] + team[None, :]) @ weight
    return mix


def _behaviour_grid(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The team's behaviour scores as at most MIX_GRID points with weights summing to 1.

    Exact up to MIX_GRID deals; beyond, each point is the mean of an equal-count slice of the sorted
    scores, so averaging a smooth function over the grid is accurate to well under 0.1 point while the
    cost stays linear in the number of deals instead of quadratic."""
    if scores.size <= MIX_GRID:
        return scores, np.full(scores.size, 1.0 / scores.size)
    slices = np.array_split(np.sort(scores), MIX_GRID)
    sizes = np.array([s.size for s in slices], dtype=float)
    return np.array([s.mean() for s in slices]), sizes / sizes.sum()


def evidence_coverage(group: ScoredGroup) -> np.ndarray:
    """Share of the deal's map's proven winning items (significant, odds ratio > 1) present; NaN if none."""
    evidence = group.evidence()
    winning = (evidence["significant"].fill_null(False) & (evidence["log_odds"].fill_null(0.0) > 0)).to_numpy()
    expected = group.applicable() & winning
    present = (group.design[:, group.offset :] > 0) & expected
    with np.errstate(invalid="ignore", divide="ignore"):
        return present.sum(axis=1) / expected.sum(axis=1)


def deal_scores(groups: list[ScoredGroup], *, with_mix: bool = True) -> pl.DataFrame:
    """One row per modelled closed deal: evidence coverage, and (with_mix) expected and mix probability."""
    schema = {"deal_id": pl.Utf8, "rep_id": pl.Utf8, "won": pl.Boolean, "evidence_coverage": pl.Float64}
    schema |= {"expected": pl.Float64, "mix": pl.Float64} if with_mix else {}
    parts = []
    for g in groups:
        columns = [pl.Series("evidence_coverage", evidence_coverage(g), nan_to_null=True)]
        if with_mix:
            columns += [pl.Series("expected", g.probability), pl.Series("mix", mix_probability(g))]
        parts.append(g.deals.select("deal_id", "rep_id", "won").with_columns(columns))
    return pl.concat([pl.DataFrame(schema=schema), *parts], how="vertical_relaxed")


# --- empirical Bayes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BetaPrior:
    """A Beta(alpha, beta) prior on reps' win rates, estimated from all reps (empirical Bayes)."""

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


def fit_beta_prior(wins: np.ndarray, trials: np.ndarray) -> BetaPrior | None:
    """Beta prior maximising the beta-binomial marginal likelihood of the reps' wins and closed deals.

    The strength (alpha + beta) is capped at the total closed deals: when reps look alike the prior
    never claims more certainty than all the deals it was estimated from. None without closed deals.
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


def _rank_interval(prior: BetaPrior, wins: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of each rep's rank (1 = best) under the reps' independent posteriors."""
    rng = np.random.default_rng(0)
    draws = rng.beta(prior.alpha + wins, prior.beta + trials - wins, size=(RANK_DRAWS, wins.size))
    ranks = np.argsort(np.argsort(-draws, axis=1), axis=1) + 1
    low, high = np.quantile(ranks, [0.025, 0.975], axis=0, method="inverted_cdf")
    return low.astype(np.int64), high.astype(np.int64)


# --- heterogeneity ------------------------------------------------------------------------------------


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
    accounts for the model's own estimated coefficients (p from the uncalibrated maximum-likelihood fit).
    """
    reps = sorted(set().union(*(g.deals.get_column("rep_id").to_list() for g in groups)))
    index = pl.Series(reps, dtype=pl.Utf8)
    score, information = np.zeros(len(reps)), np.zeros((len(reps), len(reps)))
    for g in groups:
        code = g.deals.get_column("rep_id").replace_strict(index, pl.Series(np.arange(len(reps)))).to_numpy()
        p = special.expit(g.eta)
        w = p * (1 - p)
        onehot = np.zeros((code.size, len(reps)))
        onehot[np.arange(code.size), code] = 1.0
        cross = (onehot * w[:, None]).T @ g.design
        score += onehot.T @ (g.deals.get_column("won").to_numpy() - p)
        information += np.diag(onehot.T @ w) - cross @ g.model.cov @ cross.T
    return ScoreTest(reps, score, information)


def pearson_test(wins: np.ndarray, trials: np.ndarray) -> tuple[float, int, float]:
    """Pearson chi-square of equal win rates across reps with closed deals: (statistic, df, p_value)."""
    keep = trials > 0
    wins, trials = wins[keep].astype(float), trials[keep].astype(float)
    pooled = wins.sum() / trials.sum() if trials.sum() else float("nan")
    if keep.sum() < 2 or not 0 < pooled < 1:
        return float("nan"), 0, float("nan")
    statistic = float(np.sum((wins - trials * pooled) ** 2 / (trials * pooled * (1 - pooled))))
    df = int(keep.sum() - 1)
    return statistic, df, float(stats.chi2.sf(statistic, df))


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


def _heterogeneity(closed: pl.DataFrame, groups: list[ScoredGroup]) -> tuple[pl.DataFrame, ScoreTest]:
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
    frame = pl.DataFrame([row], schema=HETEROGENEITY_SCHEMA).fill_nan(None)
    return frame, residual


def rep_heterogeneity(deals: pl.DataFrame, models: dict[str, SegmentModel]) -> pl.DataFrame:
    """One row: do reps' win rates differ beyond chance (Pearson chi-square), and does a rep effect
    remain after the adjusted model (score test)? `verdict` says what to do about it."""
    closed = closed_deals(deals)
    return _heterogeneity(closed, score_groups(closed, models))[0]


# --- scorecard -------------------------------------------------------------------------------------


def rep_scorecard(
    deals: pl.DataFrame,
    models: dict[str, SegmentModel],
    items: pl.DataFrame,
    roles: pl.DataFrame,
    reps: pl.DataFrame,
    *,
    min_deals: int = MIN_CLOSED_DEALS,
) -> pl.DataFrame:
    """analytics.rep_scorecard: one row per rep of `reps` (and any rep_id only seen on deals).

    `deals` is analytics.deal_coverage joined with the deal attributes (the frame `compute_drivers`
    took); `models` its fitted models. `items` and `roles` (core.value_map_items / _roles) are not
    needed by the scorecard itself; they keep the signature in line with `rep_gaps`.
    """
    closed = closed_deals(deals)
    groups = score_groups(closed, models)
    heterogeneity, residual = _heterogeneity(closed, groups)
    card = _rep_rows(closed, reps).join(_model_rows(groups, residual), on="rep_id", how="left")
    card = _with_rates(card.with_columns(pl.col("modelled_deals").fill_null(0)), min_deals)
    return (
        card.with_columns(
            team_key_role_coverage=_team_median("key_role_coverage"),
            team_evidence_items_coverage=_team_median("evidence_items_coverage"),
            behaviour_effect=pl.col("expected_win_rate") - pl.col("mix_win_rate"),
            unexplained=pl.col("modelled_win_rate") - pl.col("expected_win_rate"),
            reps_differ=pl.lit(heterogeneity["p_value"][0], pl.Float64) < SIGNIFICANCE,
            heterogeneity_p_value=pl.lit(heterogeneity["p_value"][0], pl.Float64),
            residual_p_value=pl.lit(heterogeneity["residual_p_value"][0], pl.Float64),
        )
        .sort("rep_id")
        .select(list(SCORECARD_SCHEMA))
        .cast(SCORECARD_SCHEMA)
    )


def _rep_rows(closed: pl.DataFrame, reps: pl.DataFrame) -> pl.DataFrame:
    """Every rep with name, team, closed deals, wins and mean key-role coverage."""
    people = reps.select(
        "rep_id",
        *(pl.col(c).cast(pl.Utf8) if c in reps.columns else pl.lit(None, pl.Utf8).alias(c) for c in ("name", "team")),
    )
    counts = closed.group_by("rep_id").agg(
        closed_deals=pl.len(), wins=pl.col("won").sum(), key_role_coverage=pl.col("key_role_coverage").mean()
    )
    return people.join(counts, on="rep_id", how="full", coalesce=True).with_columns(
        pl.col("closed_deals", "wins").fill_null(0)
    )


def _model_rows(groups: list[ScoredGroup], residual: ScoreTest) -> pl.DataFrame:
    """Per rep: modelled deals, their win rate, expected and mix win rate, evidence coverage, residual p."""
    per_rep = deal_scores(groups).group_by("rep_id").agg(
        modelled_deals=pl.len(),
        modelled_win_rate=pl.col("won").mean(),
        expected_win_rate=pl.col("expected").mean(),
        mix_win_rate=pl.col("mix").mean(),
        evidence_items_coverage=pl.col("evidence_coverage").mean(),
    )
    p_values = pl.DataFrame({"rep_id": residual.reps, "unexplained_p_value": residual.rep_p_values()},
                            schema={"rep_id": pl.Utf8, "unexplained_p_value": pl.Float64}, nan_to_null=True)
    return per_rep.join(p_values, on="rep_id", how="left")


def _with_rates(card: pl.DataFrame, min_deals: int) -> pl.DataFrame:
    """Raw rate with Wilson interval, empirical-Bayes shrunk rate and interval, flags, rank and its interval."""
    wins, trials = card["wins"].to_numpy().astype(float), card["closed_deals"].to_numpy().astype(float)
    low, high = wilson_interval(wins, trials)
    prior = fit_beta_prior(wins, trials)
    shrunk, shrunk_low, shrunk_high = (
        prior.posterior(wins, trials) if prior else (np.full(wins.size, np.nan),) * 3
    )
    small = trials < min_deals
    rank = np.full(wins.size, np.nan)
    rank_low, rank_high = rank.copy(), rank.copy()
    ranked = np.flatnonzero(~small & np.isfinite(shrunk))
    if ranked.size:
        rank[ranked] = stats.rankdata(-shrunk[ranked], method="min")
        rank_low[ranked], rank_high[ranked] = _rank_interval(prior, wins[ranked], trials[ranked])
    top = np.zeros(wins.size, dtype=bool)
    if ranked.size:
        top[ranked] = shrunk[ranked] >= np.quantile(shrunk[ranked], TOP_QUANTILE)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = wins / trials
    columns = {
        "win_rate": rate, "win_rate_ci_low": low, "win_rate_ci_high": high, "win_rate_shrunk": shrunk,
        "win_rate_shrunk_ci_low": shrunk_low, "win_rate_shrunk_ci_high": shrunk_high, "small_sample": small,
        "top_performer": top, "rank": rank, "rank_ci_low": rank_low, "rank_ci_high": rank_high,
    }
    return card.with_columns(pl.Series(name, values, nan_to_null=True) for name, values in columns.items())


def _team_median(column: str) -> pl.Expr:
    """The median of a rep-level column over reps with enough closed deals."""
    return pl.col(column).filter(~pl.col("small_sample")).median()


# --- thoroughness ------------------------------------------------------------------------------------


def rep_thoroughness(
    deals: pl.DataFrame, models: dict[str, SegmentModel], *, min_deals: int = MIN_CLOSED_DEALS
) -> pl.DataFrame:
    """Per (rep, segment) over closed deals: mean key-player coverage and share of proven winning items
    covered, each next to the median over the segment's reps with at least `min_deals` closed deals."""
    closed = closed_deals(deals).filter(pl.col("map_id").is_not_null())
    evidence = deal_scores(score_groups(closed, models), with_mix=False).select("deal_id", "evidence_coverage")
    per_rep = (
        closed.join(evidence, on="deal_id", how="left")
        .group_by("rep_id", "segment")
        .agg(
            closed_deals=pl.len(),
            key_role_coverage=pl.col("key_role_coverage").mean(),
            evidence_items_coverage=pl.col("evidence_coverage").mean(),
        )
        .with_columns(small_sample=pl.col("closed_deals") < min_deals)
    )
    return (
        per_rep.with_columns(
            team_key_role_coverage=_team_median("key_role_coverage").over("segment"),
            team_evidence_items_coverage=_team_median("evidence_items_coverage").over("segment"),
        )
        .sort("rep_id", "segment")
        .select(list(THOROUGHNESS_SCHEMA))
        .cast(THOROUGHNESS_SCHEMA)
    )


# --- gaps --------------------------------------------------------------------------------------------


def rep_gaps(
    deals: pl.DataFrame,
    models: dict[str, SegmentModel],
    items: pl.DataFrame,
    roles: pl.DataFrame,
    scorecard: pl.DataFrame,
) -> pl.DataFrame:
    """analytics.rep_gaps: per (rep, kind, item) of the rep's maps, the rep's rate against the top
    performers' and the win-rate points the gap costs (a fraction: 0.041 = 4.1 points; positive = costs).

    `contribution` = sum over the rep's modelled closed deals holding the item of
    (top_rate - has it) x (p with the item - p without it), divided by all the rep's modelled closed
    deals. `significant` needs a proven driver (q < 0.05 in the adjusted model), a gap beyond chance
    (BH q < 0.05 over all gaps) and a positive contribution; `rank` puts those first.
    """
    closed = closed_deals(deals).filter(pl.col("map_id").is_not_null())
    catalogue = item_catalogue(items, roles)
    top_reps = scorecard.filter(pl.col("top_performer")).get_column("rep_id")
    groups = score_groups(closed, models)
    counts = _behaviour_counts(closed, catalogue)
    per_map = _with_top_rates(counts, top_reps).join(
        _model_terms(groups), on=["rep_id", "map_id", "kind", "item_id"], how="left"
    )
    modelled = deal_scores(groups, with_mix=False).group_by("rep_id").agg(modelled=pl.len())
    gaps = _per_rep(per_map).join(modelled, on="rep_id", how="left").with_columns(
        contribution=pl.col("cost") / pl.col("modelled"),
    )
    described = gaps.join(_texts(catalogue), on=["kind", "item_id"], how="left").join(
        scorecard.select("rep_id", "reps_differ", "small_sample"), on="rep_id", how="left"
    )
    return _ranked(_flagged(described))


def _behaviour_counts(closed: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Closed deals and deals with the item, per (rep_id, map_id, kind, item_id) of the deal's map."""
    per_map = closed.group_by("rep_id", "map_id").agg(deals=pl.len())
    slots = per_map.join(catalogue.select("map_id", "kind", "item_id"), on="map_id")
    hits = pl.concat(
        [
            closed.select("deal_id", "rep_id", "map_id", kind=pl.lit(kind), item_id=pl.col(column)).explode("item_id")
            for kind, column in ITEM_LISTS.items()
        ]
    ).unique(["deal_id", "kind", "item_id"])
    with_item = hits.group_by("rep_id", "map_id", "kind", "item_id").agg(with_item=pl.len())
    keys = ["rep_id", "map_id", "kind", "item_id"]
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
        delta = _item_effects(g)
        present = g.design[:, g.offset :] > 0
        keys = g.deals.select("rep_id", "map_id").with_row_index("_row")
        cells = (
            keys.group_by("rep_id", "map_id", maintain_order=True)
            .agg(pl.col("_row"), cell_deals=pl.len())
            .with_row_index("cell")
        )
        members = cells.select("cell", "_row").explode("_row")
        onehot = sparse.csr_array((np.ones(members.height), (members["cell"].to_numpy(), members["_row"].to_numpy())),
                                  shape=(cells.height, g.deals.height))
        per_cell = onehot @ delta, onehot @ (delta * present)
        n_items = delta.shape[1]
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


def _item_effects(group: ScoredGroup) -> np.ndarray:
    """(deals x items) calibrated p(item present) - p(item absent), other items as they are; 0 where
    the deal's map does not hold the item."""
    coef = group.model.coef[group.offset :]
    without = group.eta[:, None] - group.design[:, group.offset :] * coef
    delta = special.expit(without + coef) - special.expit(without)
    return delta * group.applicable()


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


__all__ = [
    "BetaPrior",
    "GAPS_SCHEMA",
    "HETEROGENEITY_SCHEMA",
    "SCORECARD_SCHEMA",
    "THOROUGHNESS_SCHEMA",
    "ScoreTest",
    "ScoredGroup",
    "closed_deals",
    "fit_beta_prior",
    "pearson_test",
    "rep_gaps",
    "rep_heterogeneity",
    "rep_scorecard",
    "rep_thoroughness",
    "score_groups",
    "score_test",
]
