"""Why some reps outperform: scorecard, heterogeneity, gaps, thoroughness and coaching on generated
worlds whose rep habits are known (seeds/_truth), plus the statistics against reference implementations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from scipy import linalg, stats

from pipelines.run import run_pipeline
from valuedata.analysis.coaching import coaching_lines
from valuedata.analysis.reps import REP_TABLES, RepAnalyses, closed_deals
from valuedata.analysis.reps.expected import MIX_GRID, OWN_GRID, average_over_team, behaviour_grid
from valuedata.analysis.reps.gaps import GAPS_SCHEMA
from valuedata.analysis.reps.heterogeneity import HETEROGENEITY_SCHEMA, pearson_test, score_test
from valuedata.analysis.reps.prior import fit_beta_prior
from valuedata.analysis.reps.scorecard import SCORECARD_SCHEMA, THOROUGHNESS_SCHEMA
from valuedata.analysis.scored import score_groups
from valuedata.analysis.stored_models import load_models
from valuedata.analysis.tables import MapTables, modelling_deals
from valuedata.config import Settings
from valuedata.generate import generate

CONTRACT_SCORECARD = ["rep_id", "closed_deals", "wins", "win_rate", "win_rate_shrunk", "expected_win_rate",
                      "mix_win_rate", "key_role_coverage"]
CONTRACT_GAPS = ["rep_id", "kind", "item_id", "rep_rate", "top_rate", "contribution"]
NEW_HIRE, NO_DEALS, NEW_HIRE_DEALS = "r99", "r98", 12


@dataclass
class Analysed:
    """A generated world run through the pipeline, its fitted models and every rep frame."""

    deals: pl.DataFrame
    items: pl.DataFrame
    roles: pl.DataFrame
    models: dict
    truth: dict
    true_rates: pl.DataFrame
    card: pl.DataFrame
    gaps: pl.DataFrame
    heterogeneity: pl.DataFrame
    thoroughness: pl.DataFrame

    def rep(self, rep_id: str) -> dict:
        return self.card.filter(pl.col("rep_id") == rep_id).row(0, named=True)

    def top_gap(self, rep_id: str) -> dict:
        return self.gaps.filter((pl.col("rep_id") == rep_id) & (pl.col("rank") == 1)).row(0, named=True)


def _add_new_hires(folder: Path) -> None:
    """A rep with a handful of closed deals (taken over from r01) and one with none."""
    reps = pl.read_csv(folder / "reps.csv", infer_schema=False)
    extra = pl.DataFrame({"rep_id": [NEW_HIRE, NO_DEALS], "name": ["New Hire", "Not Started"]})
    pl.concat([reps, extra], how="diagonal").write_csv(folder / "reps.csv")
    deals = pl.read_csv(folder / "deals.csv", infer_schema=False)
    closed = deals.filter((pl.col("rep_id") == "r01") & pl.col("closed_at").is_not_null())
    moved = closed.head(NEW_HIRE_DEALS)["deal_id"]
    deals.with_columns(rep_id=pl.when(pl.col("deal_id").is_in(moved.implode())).then(pl.lit(NEW_HIRE))
                       .otherwise(pl.col("rep_id"))).write_csv(folder / "deals.csv")


def _analyse(root: Path, world: str, new_hires: bool = False) -> Analysed:
    """The world through the real pipeline; the rep tables as the pipeline wrote them, with their inputs."""
    folder = root / "input"
    generate(folder, deals=6000, seed=42, world=world)
    if new_hires:
        _add_new_hires(folder)
    outcome = run_pipeline(Settings.resolve(folder, root / "valuedata.duckdb", root / "dashboards"))
    assert outcome.success, outcome.failure
    with duckdb.connect(str(root / "valuedata.duckdb"), read_only=True) as conn:
        deals, maps, models = modelling_deals(conn), MapTables.read(conn), load_models(conn)
        card, heterogeneity, gaps, thoroughness = (
            conn.sql(f"SELECT * FROM analytics.{t}").pl() for t in REP_TABLES)
    truth = json.loads((folder / "_truth" / "truth.json").read_text())
    true_rates = (
        closed_deals(deals).join(pl.read_csv(folder / "_truth" / "deal_truth.csv"), on="deal_id")
        .group_by("rep_id").agg(true_rate=pl.col("true_win_probability").mean())
    )
    return Analysed(deals, maps.items, maps.roles, models, truth, true_rates, card, gaps, heterogeneity, thoroughness)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Analysed:
    return _analyse(tmp_path_factory.mktemp("planted"), "planted", new_hires=True)


@pytest.fixture(scope="module")
def flat(tmp_path_factory) -> Analysed:
    return _analyse(tmp_path_factory.mktemp("flat"), "flat_reps")


def _habits(truth: dict) -> dict[str, tuple[str, set[str]]]:
    """Weak rep -> (kind, the items it rarely uses, one per segment)."""
    return {g["rep_id"]: (g["kind"], set(g["items"].values())) for g in truth["reps_habits"]["gaps"]}


# --- contract and shapes ---------------------------------------------------------------------------


def test_frames_follow_the_contract(planted):
    assert planted.card.columns[: len(CONTRACT_SCORECARD)] == CONTRACT_SCORECARD
    assert dict(planted.card.schema) == SCORECARD_SCHEMA
    assert planted.gaps.columns[: len(CONTRACT_GAPS)] == CONTRACT_GAPS
    assert dict(planted.gaps.schema) == GAPS_SCHEMA
    assert dict(planted.heterogeneity.schema) == HETEROGENEITY_SCHEMA and planted.heterogeneity.height == 1
    assert dict(planted.thoroughness.schema) == THOROUGHNESS_SCHEMA
    assert planted.card["rep_id"].n_unique() == planted.card.height == 26
    assert planted.gaps.select("rep_id", "kind", "item_id").is_duplicated().sum() == 0
    assert set(planted.gaps["kind"]) == {"role", "value_proposition", "issue", "question"}
    assert planted.thoroughness.select("rep_id", "segment").is_duplicated().sum() == 0


def test_rates_and_intervals_are_consistent(planted):
    card = planted.card.filter(pl.col("closed_deals") > 0)
    assert (card["wins"] <= card["closed_deals"]).all()
    assert (card["win_rate_ci_low"] <= card["win_rate"]).all() and (card["win_rate"] <= card["win_rate_ci_high"]).all()
    assert (card["win_rate_shrunk_ci_low"] <= card["win_rate_shrunk"]).all()
    assert (card["win_rate_shrunk"] <= card["win_rate_shrunk_ci_high"]).all()
    pooled = card["wins"].sum() / card["closed_deals"].sum()
    toward = (card["win_rate_shrunk"] - pooled).abs() <= (card["win_rate"] - pooled).abs() + 1e-12
    assert toward.all()  # shrinkage never moves a rate away from the pooled rate
    ranked = card.filter(pl.col("rank").is_not_null())
    assert (ranked["rank_ci_low"] <= ranked["rank"]).all() and (ranked["rank"] <= ranked["rank_ci_high"]).all()


def test_expected_and_mix_rates_average_to_the_team(planted):
    card = planted.card.filter(pl.col("modelled_deals") > 0)
    weights = card["modelled_deals"] / card["modelled_deals"].sum()
    actual = (weights * card["modelled_win_rate"]).sum()
    assert abs((weights * card["expected_win_rate"]).sum() - actual) < 0.01
    assert abs((weights * card["mix_win_rate"]).sum() - actual) < 0.01
    assert card["mix_win_rate"].std() < card["expected_win_rate"].std() / 2  # mix removes behaviour


# --- reps rank like their planted habits ---------------------------------------------------------------


def test_strong_reps_rank_above_weak_reps(planted):
    strong = planted.truth["reps_habits"]["strong_reps"]
    weak = list(_habits(planted.truth))
    ranks = {r: planted.rep(r)["rank"] for r in strong + weak}
    assert max(ranks[r] for r in strong) < min(ranks[r] for r in weak), ranks
    assert all(planted.rep(r)["behaviour_effect"] > 0 for r in strong)
    assert all(planted.rep(r)["behaviour_effect"] < -0.03 for r in weak)
    assert all(planted.rep(r)["top_performer"] is False for r in weak)


def test_scorecard_tracks_the_true_rep_win_rates(planted):
    card = planted.card.filter(~pl.col("small_sample")).join(planted.true_rates, on="rep_id")
    assert stats.spearmanr(card["win_rate_shrunk"], card["true_rate"]).statistic > 0.5
    assert stats.spearmanr(card["expected_win_rate"], card["true_rate"]).statistic > 0.8


def test_planted_reps_differ_and_behaviours_explain_it(planted):
    row = planted.heterogeneity.row(0, named=True)
    assert row["p_value"] < 0.01 and row["df"] == row["reps"] - 1
    assert row["residual_p_value"] >= 0.05  # the generator gives reps no skill beyond behaviour
    assert "coach on the behaviour gaps" in row["verdict"]
    assert planted.card["reps_differ"].all()


def test_each_weak_rep_top_gap_is_its_planted_habit(planted):
    for rep_id, (kind, habit_items) in _habits(planted.truth).items():
        gap = planted.top_gap(rep_id)
        assert (gap["kind"], gap["item_id"] in habit_items) == (kind, True), gap
        assert gap["significant"] and gap["contribution"] > 0.01 and gap["rep_rate"] < gap["top_rate"] / 3


def test_strong_reps_have_nothing_to_coach(planted):
    strong = planted.truth["reps_habits"]["strong_reps"]
    assert planted.gaps.filter(pl.col("rep_id").is_in(strong) & pl.col("significant")).is_empty()


def test_gaps_without_evidence_are_never_coached(planted):
    gaps = planted.gaps
    assert gaps.filter(pl.col("significant") & ~pl.col("driver_significant")).is_empty()
    assert gaps.filter(pl.col("significant") & (pl.col("gap_q_value") >= 0.05)).is_empty()
    no_estimate = gaps.filter(pl.col("contribution").is_null())
    assert (~no_estimate["significant"]).all()
    assert np.allclose(gaps["contribution_points"].drop_nulls(), 100 * gaps["contribution"].drop_nulls())
    first_unflagged = gaps.filter(~pl.col("significant")).group_by("rep_id").agg(pl.col("rank").min())
    last_flagged = gaps.filter(pl.col("significant")).group_by("rep_id").agg(pl.col("rank").max())
    both = first_unflagged.join(last_flagged, on="rep_id", suffix="_flagged")
    assert (both["rank_flagged"] < both["rank"]).all()  # coachable gaps rank first


def test_thoroughness_separates_strong_and_weak_reps(planted):
    frame = planted.thoroughness
    strong = frame.filter(pl.col("rep_id").is_in(planted.truth["reps_habits"]["strong_reps"]))
    assert (strong["key_role_coverage"] > strong["team_key_role_coverage"]).all()
    assert (strong["evidence_items_coverage"] > strong["team_evidence_items_coverage"]).all()
    weak = frame.filter(pl.col("rep_id").is_in(list(_habits(planted.truth))))
    assert (weak["evidence_items_coverage"] < weak["team_evidence_items_coverage"]).all()
    r07 = frame.filter(pl.col("rep_id") == "r07")
    assert (r07["key_role_coverage"] < r07["team_key_role_coverage"] - 0.1).all()


# --- small samples --------------------------------------------------------------------------------------


def test_small_reps_are_flagged_shrunk_and_not_ranked(planted):
    hire, idle = planted.rep(NEW_HIRE), planted.rep(NO_DEALS)
    assert hire["closed_deals"] == NEW_HIRE_DEALS and hire["small_sample"] and hire["rank"] is None
    assert hire["name"] == "New Hire" and not hire["top_performer"]
    assert idle["closed_deals"] == 0 and idle["win_rate"] is None and idle["small_sample"] and idle["rank"] is None
    prior_mean = idle["win_rate_shrunk"]  # no deals: the posterior is the prior
    low, high = sorted([hire["win_rate"], prior_mean])
    assert low < hire["win_rate_shrunk"] < high
    shrunk_width = hire["win_rate_shrunk_ci_high"] - hire["win_rate_shrunk_ci_low"]
    assert shrunk_width < hire["win_rate_ci_high"] - hire["win_rate_ci_low"]
    assert planted.card.filter(~pl.col("small_sample"))["rank"].null_count() == 0
    assert coaching_lines(NEW_HIRE, planted.card, planted.gaps, planted.items, planted.roles) == [
        f"not enough closed deals to coach reliably (n={NEW_HIRE_DEALS}); the scorecard shows a shrunk win rate only"
    ]


def test_without_models_only_raw_rates_are_reported(planted):
    unmodelled = RepAnalyses(planted.deals, {}, planted.items, planted.roles, planted.card.select("rep_id"))
    card = unmodelled.rep_scorecard
    assert card["win_rate"].equals(planted.card["win_rate"]) and card["expected_win_rate"].null_count() == card.height
    assert (card["modelled_deals"] == 0).all()
    assert "no adjusted model" in unmodelled.rep_heterogeneity["verdict"][0]
    gaps = unmodelled.rep_gaps
    assert gaps["contribution"].null_count() == gaps.height and not gaps["significant"].any()


# --- coaching -------------------------------------------------------------------------------------------


def _text(analysed: Analysed, kind: str, item_id: str) -> str:
    if kind == "role":
        return analysed.roles.filter(pl.col("role_id") == item_id)["title"][0]
    return analysed.items.filter((pl.col("kind") == kind) & (pl.col("item_id") == item_id))["text"][0]


def test_coaching_speaks_the_map_words(planted):
    starts = {"role": "Meet the {}: you met them on ", "value_proposition": "Present: '{}': you presented it on ",
              "question": "Ask: '{}': you asked it on "}
    for rep_id in _habits(planted.truth):
        lines = coaching_lines(rep_id, planted.card, planted.gaps, planted.items, planted.roles)
        gap = planted.top_gap(rep_id)
        assert 1 <= len(lines) <= 3
        assert lines[0].startswith(starts[gap["kind"]].format(_text(planted, gap["kind"], gap["item_id"]))), lines[0]
        assert f"vs {gap['top_rate']:.0%} for top performers; this costs about " in lines[0]
        assert lines[0].endswith("of win rate")
    unknown = coaching_lines("nobody", planted.card, planted.gaps, planted.items, planted.roles)
    assert unknown == ["nobody is not on the scorecard: no such rep, or no deals yet"]


# --- a world where reps do not differ -----------------------------------------------------------------------


def test_flat_reps_do_not_differ_and_nothing_is_coached(flat):
    row = flat.heterogeneity.row(0, named=True)
    assert row["p_value"] >= 0.05 and row["residual_p_value"] >= 0.05
    assert "reps do not differ beyond chance" in row["verdict"] and "do not coach on win rate" in row["verdict"]
    assert not flat.card["reps_differ"].any()
    assert not flat.gaps["significant"].any()
    assert (flat.card["win_rate_shrunk"].max() - flat.card["win_rate_shrunk"].min()) < 0.01  # all shrunk to the pool
    lines = coaching_lines("r07", flat.card, flat.gaps, flat.items, flat.roles)
    assert lines[0].startswith("reps do not differ in win rate beyond chance") and "nothing" in lines[1]


# --- the statistics against references ------------------------------------------------------------------


def _beta_binomial_reps(alpha: float, beta: float, reps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    trials = rng.integers(5, 300, reps)
    return rng.binomial(trials, rng.beta(alpha, beta, reps)), trials


def test_empirical_bayes_prior_maximises_the_beta_binomial_likelihood():
    wins, trials = _beta_binomial_reps(8.0, 12.0, reps=60, seed=3)
    prior = fit_beta_prior(wins, trials)
    means, strengths = np.meshgrid(np.linspace(0.3, 0.5, 201), np.exp(np.linspace(np.log(3), np.log(300), 301)))
    a, b = (means * strengths)[..., None], ((1 - means) * strengths)[..., None]
    loglik = stats.betabinom.logpmf(wins, trials, a, b).sum(axis=-1)
    best = np.unravel_index(np.argmax(loglik), loglik.shape)
    assert prior.mean == pytest.approx(means[best], abs=0.002)
    assert np.log(prior.strength) == pytest.approx(np.log(strengths[best]), abs=0.02)
    assert stats.betabinom.logpmf(wins, trials, prior.alpha, prior.beta).sum() >= loglik.max() - 1e-6


def test_empirical_bayes_posterior_is_the_conjugate_beta():
    wins, trials = _beta_binomial_reps(8.0, 12.0, reps=60, seed=3)
    prior = fit_beta_prior(wins, trials)
    mean, low, high = prior.posterior(wins, trials)
    a, b = prior.alpha + wins, prior.beta + trials - wins
    assert np.allclose(mean, a / (a + b))
    assert np.allclose(low, stats.beta.ppf(0.025, a, b)) and np.allclose(high, stats.beta.ppf(0.975, a, b))


def test_empirical_bayes_recovers_a_known_prior():
    wins, trials = _beta_binomial_reps(12.0, 18.0, reps=400, seed=5)
    prior = fit_beta_prior(wins, trials)
    assert prior.mean == pytest.approx(0.4, abs=0.015)
    assert 20 < prior.strength < 45  # true alpha + beta = 30


def test_identical_reps_shrink_all_the_way_with_a_capped_prior():
    trials = np.full(10, 40)
    prior = fit_beta_prior(np.full(10, 16), trials)
    assert prior.mean == pytest.approx(0.4, abs=1e-3) and prior.strength == pytest.approx(trials.sum(), rel=1e-6)
    assert fit_beta_prior(np.zeros(3), np.zeros(3)) is None


def test_pearson_test_matches_scipy():
    wins, trials = _beta_binomial_reps(8.0, 12.0, reps=15, seed=9)
    statistic, df, p_value = pearson_test(wins, trials)
    reference = stats.chi2_contingency(np.column_stack([wins, trials - wins]), correction=False)
    assert (statistic, df, p_value) == pytest.approx((reference.statistic, reference.dof, reference.pvalue))
    # reps without closed deals do not count; one outcome only cannot be tested (scipy would raise)
    assert pearson_test(np.append(wins, 0), np.append(trials, 0)) == pytest.approx((statistic, df, p_value))
    assert np.isnan(pearson_test(trials.copy(), trials)[0]) and np.isnan(pearson_test(wins[:1], trials[:1])[2])


def test_residual_score_test_matches_statsmodels(planted):
    """Segment models stacked block-diagonally, plus rep indicators common to all: statsmodels' score test."""
    groups = score_groups(closed_deals(planted.deals), planted.models)
    ours = score_test(groups)
    design = linalg.block_diag(*(g.design for g in groups))
    won = np.concatenate([g.deals["won"].to_numpy() for g in groups]).astype(float)
    rep = np.concatenate([g.deals["rep_id"].to_numpy() for g in groups])
    indicators = (rep[:, None] == np.array(sorted(set(rep))[1:])[None, :]).astype(float)
    fit = sm.GLM(won, design, family=sm.families.Binomial()).fit(tol=1e-12)
    assert np.allclose(fit.params, np.concatenate([g.model.coef for g in groups]), atol=1e-6)
    reference = fit.score_test(exog_extra=indicators)
    assert ours.statistic == pytest.approx(float(reference.statistic[0]), rel=1e-6)
    assert ours.df == reference.k_constraint and ours.p_value == pytest.approx(float(reference.pvalue[0]), rel=1e-6)


def test_mix_grid_matches_the_exact_average_over_every_team_deal():
    from scipy import special

    rng = np.random.default_rng(3)
    team = rng.normal(0.0, 1.2, size=MIX_GRID * 20)
    own = rng.normal(-0.5, 1.0, size=200)
    exact = special.expit(own[:, None] + team[None, :]).mean(axis=1)
    points, weight = behaviour_grid(team)
    assert points.size == MIX_GRID and abs(weight.sum() - 1) < 1e-12
    assert np.abs(special.expit(own[:, None] + points[None, :]) @ weight - exact).max() < 5e-4


def test_mix_interpolated_between_own_scores_matches_the_exact_average():
    from scipy import special

    rng = np.random.default_rng(5)
    team, weight = behaviour_grid(rng.normal(0.3, 1.5, size=3000))
    own = np.concatenate([rng.normal(-1.0, 3.0, size=OWN_GRID * 3), [-10.0, 10.0]])  # spans 20 log-odds
    exact = special.expit(own[:, None] + team[None, :]) @ weight
    assert np.abs(average_over_team(own, team, weight) - exact).max() < 3e-7
    few = own[:50]
    assert np.array_equal(average_over_team(few, team, weight), special.expit(few[:, None] + team[None, :]) @ weight)
