"""Deals scored by the adjusted win models: which model scores a deal, its design and linear predictor.

One rule for every deal, open or closed: a deal is scored by its segment's model, else by the '*'
model, and only by a model fitted on deals of the deal's map (else every item would read 'absent').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import special

from valuedata.analysis.model import SegmentModel
from valuedata.vocabulary import ALL_SEGMENTS, ITEM_LISTS

MODEL_COLUMN = "model_segment"


@dataclass(frozen=True)
class ScoredGroup:
    """The deals one model scores, with their design matrix and the logistic model's linear predictor."""

    model: SegmentModel
    deals: pl.DataFrame
    design: np.ndarray
    eta: np.ndarray

    @property
    def offset(self) -> int:
        """First item column of the design."""
        return self.model.item_offset

    @property
    def probability(self) -> np.ndarray:
        """The logistic model's maximum-likelihood win probability of each deal as it stands: over the
        model's training deals these add up to the wins, so expected win rates are calibrated in the large."""
        return special.expit(self.eta)

    def applicable(self) -> np.ndarray:
        """(deals x items): the deal's map holds the item."""
        return self.model.items.applicable(self.deals.get_column("map_id"))

    def evidence(self) -> pl.DataFrame:
        """The model's item evidence (log_odds, odds_ratio, q_value, significant) in item-column order."""
        order = self.model.items.keys
        return order.join(self.model.evidence, on=["kind", "item_id"], how="left", maintain_order="left")


def model_for(models: dict[str, SegmentModel]) -> pl.Expr:
    """The segment of the model that scores each deal; null without a value map or a model of its map."""
    fallback = pl.lit(ALL_SEGMENTS if ALL_SEGMENTS in models else None, pl.Utf8)
    chosen = pl.when(pl.col("segment").is_in(list(models))).then(pl.col("segment")).otherwise(fallback)
    pairs = [f"{segment}\x1f{map_id}" for segment, model in models.items() for map_id in model.maps]
    knows_map = pl.concat_str(chosen, pl.lit("\x1f"), "map_id").is_in(pairs)
    return pl.when(pl.col("map_id").is_not_null() & knows_map).then(chosen).alias(MODEL_COLUMN)


def score_groups(deals: pl.DataFrame, models: dict[str, SegmentModel]) -> list[ScoredGroup]:
    """`deals` split by the model that scores them (see `model_for`), each with its design and linear
    predictor; deals no model scores are left out. The groups' deals keep every column but the item lists,
    which their design holds."""
    assigned = deals.with_columns(model_for(models)).filter(pl.col(MODEL_COLUMN).is_not_null())
    groups = []
    for key in assigned.get_column(MODEL_COLUMN).unique().sort().to_list():
        rows = assigned.filter(pl.col(MODEL_COLUMN) == key)
        model = models[key]
        design = model.design(rows)
        groups.append(ScoredGroup(model, rows.drop(ITEM_LISTS.values()), design, model.linear_predictor(design)))
    return groups
