"""Why some reps outperform: scorecard, a test of whether reps differ at all, behaviour gaps, thoroughness.

Every table reads the same closed deals, scored once by the adjusted win models of
`valuedata.analysis.drivers` (`valuedata.analysis.scored`: a deal's segment model, else '*'). See docs/reps.md.

- `rep_scorecard` (scorecard.py): win rate with a Wilson interval, an empirical-Bayes (prior.py) shrunk
  rate, the rate the model expects from the rep's behaviours and deals, and the rate the average rep's
  behaviour would win on the same deals (expected.py); a rank with its 95% interval.
- `rep_heterogeneity` (heterogeneity.py): do reps differ beyond chance, raw and after the model.
- `rep_gaps` (gaps.py): per rep and map item, the gap to the top quartile and the win-rate points it costs.
- `rep_thoroughness` (scorecard.py): coverage of key players and of proven winning items, per rep and segment.
"""

from __future__ import annotations

from functools import cached_property

import polars as pl

from valuedata.analysis.model import SegmentModel
from valuedata.analysis.reps.expected import deal_scores
from valuedata.analysis.reps.gaps import gaps
from valuedata.analysis.reps.heterogeneity import ScoreTest, heterogeneity
from valuedata.analysis.reps.scorecard import MIN_CLOSED_DEALS, scorecard, thoroughness
from valuedata.analysis.scored import ScoredGroup, score_groups
from valuedata.vocabulary import CLOSED_OUTCOMES

REP_TABLES = ("rep_scorecard", "rep_heterogeneity", "rep_gaps", "rep_thoroughness")


def closed_deals(deals: pl.DataFrame) -> pl.DataFrame:
    """Won and lost deals with a boolean `won`."""
    return deals.filter(pl.col("outcome").is_in(CLOSED_OUTCOMES)).with_columns(won=pl.col("outcome") == "won")


class RepAnalyses:
    """The rep tables of one set of fitted models. The closed deals are scored once, on first use, and each
    table is computed only when asked for (with what it builds on: gaps need the scorecard's top performers)."""

    def __init__(self, deals: pl.DataFrame, models: dict[str, SegmentModel], items: pl.DataFrame,
                 roles: pl.DataFrame, reps: pl.DataFrame, *, min_deals: int = MIN_CLOSED_DEALS):
        """`deals`: analytics.deal_coverage with the deal attributes; `models`: their fitted models;
        `items`, `roles`: core.value_map_items / _roles; `reps`: core.reps."""
        self.closed = closed_deals(deals)
        self.models, self.items, self.roles, self.reps, self.min_deals = models, items, roles, reps, min_deals

    @cached_property
    def groups(self) -> list[ScoredGroup]:
        return score_groups(self.closed, self.models)

    @cached_property
    def deal_scores(self) -> pl.DataFrame:
        return deal_scores(self.groups)

    @cached_property
    def _heterogeneity(self) -> tuple[pl.DataFrame, ScoreTest]:
        return heterogeneity(self.closed, self.groups)

    @cached_property
    def rep_heterogeneity(self) -> pl.DataFrame:
        return self._heterogeneity[0]

    @cached_property
    def rep_scorecard(self) -> pl.DataFrame:
        frame, residual = self._heterogeneity
        return scorecard(self.closed, self.deal_scores, self.reps, frame, residual, self.min_deals)

    @cached_property
    def rep_gaps(self) -> pl.DataFrame:
        return gaps(self.closed, self.groups, self.deal_scores, self.items, self.roles, self.rep_scorecard)

    @cached_property
    def rep_thoroughness(self) -> pl.DataFrame:
        return thoroughness(self.closed, self.deal_scores, self.min_deals)

    def tables(self, names: tuple[str, ...] = REP_TABLES) -> dict[str, pl.DataFrame]:
        """The named rep tables (default: all four)."""
        return {name: getattr(self, name) for name in names}
