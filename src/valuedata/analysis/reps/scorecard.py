"""Per rep: the scorecard (raw, shrunk, expected and mix win rates, rank) and thoroughness per segment."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from valuedata.analysis.reps.heterogeneity import ScoreTest
from valuedata.analysis.reps.prior import fit_beta_prior
from valuedata.analysis.stats import wilson_interval
from valuedata.vocabulary import SIGNIFICANCE

MIN_CLOSED_DEALS = 20  # below this a rep is flagged small_sample: shrunk, not ranked, not coached
TOP_QUANTILE = 0.75  # reps at or above this quantile of win_rate_shrunk are the top performers

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


def scorecard(closed: pl.DataFrame, deal_scores: pl.DataFrame, reps: pl.DataFrame, heterogeneity: pl.DataFrame,
              residual: ScoreTest, min_deals: int) -> pl.DataFrame:
    """analytics.rep_scorecard: one row per rep of `reps` (and any rep_id only seen on closed deals)."""
    card = _rep_rows(closed, reps).join(_model_rows(deal_scores, residual), on="rep_id", how="left")
    card = _with_rates(card.with_columns(pl.col("modelled_deals").fill_null(0)), min_deals)
    p_value, residual_p = heterogeneity["p_value"][0], heterogeneity["residual_p_value"][0]
    return (
        card.with_columns(
            team_key_role_coverage=_team_median("key_role_coverage"),
            team_evidence_items_coverage=_team_median("evidence_items_coverage"),
            behaviour_effect=pl.col("expected_win_rate") - pl.col("mix_win_rate"),
            unexplained=pl.col("modelled_win_rate") - pl.col("expected_win_rate"),
            reps_differ=pl.lit(p_value, pl.Float64) < SIGNIFICANCE,
            heterogeneity_p_value=pl.lit(p_value, pl.Float64),
            residual_p_value=pl.lit(residual_p, pl.Float64),
        )
        .sort("rep_id")
        .select(list(SCORECARD_SCHEMA))
        .cast(SCORECARD_SCHEMA)
    )


def thoroughness(closed: pl.DataFrame, deal_scores: pl.DataFrame, min_deals: int) -> pl.DataFrame:
    """analytics.rep_thoroughness: per (rep, segment) over closed deals on a map, mean key-player coverage and
    share of proven winning items covered, each next to the median over the segment's reps with enough deals."""
    per_rep = (
        closed.filter(pl.col("map_id").is_not_null())
        .join(deal_scores.select("deal_id", "evidence_coverage"), on="deal_id", how="left")
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


def _model_rows(deal_scores: pl.DataFrame, residual: ScoreTest) -> pl.DataFrame:
    """Per rep: modelled deals, their win rate, expected and mix win rate, evidence coverage, residual p."""
    per_rep = deal_scores.group_by("rep_id").agg(
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
    top = np.zeros(wins.size, dtype=bool)
    ranked = np.flatnonzero(~small & np.isfinite(shrunk))
    if ranked.size:
        rank[ranked] = stats.rankdata(-shrunk[ranked], method="min")
        rank_low[ranked], rank_high[ranked] = prior.rank_interval(wins[ranked], trials[ranked])
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
