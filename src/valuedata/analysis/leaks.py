"""Outcome leaks: deal columns that (almost) determine won vs lost on their own.

A CRM often fills a field only when a deal closes: the closed value is 0 on lost deals, the stage
reached is "closed won". Such a column "explains" every win and says nothing about what to do, so
the models leave it out and the run says which column and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from valuedata.analysis.features import MISSING_LEVEL, OTHER_LEVEL, is_numeric
from valuedata.analysis.stats import auc_score

LEAK_AUC = 0.95  # a column that alone ranks won above lost deals this well is taken for a leak
TELLING_SHARE = 0.9  # a value held by this share of one outcome (and few of the other) is named


@dataclass(frozen=True)
class Leak:
    """A column left out of the models, with how well it alone separates the outcomes."""

    column: str
    auc: float
    clue: str

    def describe(self) -> str:
        return (f"{self.column} left out of the models: on its own it tells won from lost deals "
                f"(AUC {self.auc:.2f}){self.clue}, so it is probably filled in when a deal closes; "
                "map a field known before the outcome instead (docs/sources.md, 'Outcome leaks')")


def outcome_leaks(closed: pl.DataFrame, columns: list[str], min_level_deals: int) -> list[Leak]:
    """The columns among `columns` (e.g. 'amount' and the deal attributes) that leak the outcome."""
    won = (closed.get_column("outcome") == "won").to_numpy()
    if closed.is_empty() or won.all() or not won.any():
        return []
    leaks = []
    for column in columns:
        values = closed.get_column(column)
        score = _numeric_score(values) if is_numeric(values.dtype) else _level_score(values, won, min_level_deals)
        auc = auc_score(won, score)
        strength = max(auc, 1 - auc)
        if strength >= LEAK_AUC:
            leaks.append(Leak(column, strength, _clue(values, won)))
    return leaks


def _numeric_score(values: pl.Series) -> np.ndarray:
    """The value, with missing values below every present one (a field left empty on lost deals leaks too)."""
    numbers = values.cast(pl.Float64).fill_nan(None)
    floor = numbers.min()
    return numbers.fill_null((floor if floor is not None else 0.0) - 1.0).to_numpy()


def _level_score(values: pl.Series, won: np.ndarray, min_level_deals: int) -> np.ndarray:
    """Each deal's level win rate; levels with fewer than `min_level_deals` deals are pooled."""
    levels = values.cast(pl.Utf8).fill_null(MISSING_LEVEL)
    frame = pl.DataFrame({"level": levels, "won": won})
    sizes = frame.group_by("level").agg(n=pl.len())
    pooled = frame.join(sizes, on="level", how="left").with_columns(
        level=pl.when(pl.col("n") >= min_level_deals).then("level").otherwise(pl.lit(OTHER_LEVEL)))
    return pooled.select(pl.col("won").mean().over("level")).to_series().to_numpy()


def _clue(values: pl.Series, won: np.ndarray) -> str:
    """', e.g. it is 0 on 100% of lost deals and 2% of won deals' when one value gives the outcome away."""
    text = values.cast(pl.Utf8).fill_null("empty")
    for outcome, mask in (("lost", ~won), ("won", won)):
        common = text.filter(pl.Series(mask)).mode().sort().first()
        share = float((text.filter(pl.Series(mask)) == common).mean())
        other = float((text.filter(pl.Series(~mask)) == common).mean())
        if share >= TELLING_SHARE and other <= 1 - TELLING_SHARE:
            other_outcome = "won" if outcome == "lost" else "lost"
            return f": it is {common} on {share:.0%} of {outcome} deals and {other:.0%} of {other_outcome} deals"
    return ""
