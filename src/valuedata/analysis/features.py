"""Model inputs: which value-map items a deal has, and how deal attributes enter as controls.

`item_catalogue` flattens the map tables into one row per (map, kind, item). `ItemSpace` turns the
deals' id lists into a presence matrix over (kind, item_id) features. `ControlEncoder` encodes
amount, creation date and extra attributes; it is fitted on closed deals without looking at outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from valuedata.vocabulary import ITEM_LISTS

ITEM_KINDS = tuple(ITEM_LISTS)
ATTRIBUTE = "attribute"  # a deal attribute's effect in analytics.driver_effects: context, not behaviour
KIND_ORDER = pl.Enum([*ITEM_KINDS, ATTRIBUTE])
OTHER_LEVEL = "(other)"
MISSING_LEVEL = "(missing)"
DAYS_PER_YEAR = 365.25
TIME_TREND = "created_years"
AMOUNT = "amount_log1p"

CATALOGUE_SCHEMA = {
    "map_id": pl.Utf8,
    "kind": pl.Utf8,
    "item_id": pl.Utf8,
    "role_id": pl.Utf8,
    "text": pl.Utf8,
    "key_player": pl.Boolean,
    "impact": pl.Boolean,
    "priority": pl.Int64,
}


def feature_name(kind: str, item_id: str) -> str:
    """The design-column name of an item feature, e.g. 'role:cfo'."""
    return f"{kind}:{item_id}"


def item_catalogue(items: pl.DataFrame, roles: pl.DataFrame) -> pl.DataFrame:
    """One row per (map_id, kind, item_id) for roles, value propositions, issues and questions."""
    players = roles.select("map_id", "role_id", pl.col("key_player").cast(pl.Boolean))
    role_rows = roles.select(
        "map_id",
        kind=pl.lit("role"),
        item_id=pl.col("role_id"),
        role_id=pl.col("role_id"),
        text=pl.col("title"),
        key_player=pl.col("key_player").cast(pl.Boolean),
        impact=pl.lit(None, pl.Boolean),
        priority=pl.lit(None, pl.Int64),
    )
    item_rows = (
        items.filter(pl.col("kind").is_in(ITEM_KINDS[1:]))
        .join(players, on=["map_id", "role_id"], how="left")
        .select(
            "map_id", "kind", "item_id", "role_id", "text", "key_player",
            pl.col("impact").cast(pl.Boolean), pl.col("priority").cast(pl.Int64),
        )
    )
    return (
        pl.concat([role_rows.cast(CATALOGUE_SCHEMA), item_rows.cast(CATALOGUE_SCHEMA)])
        .unique(["map_id", "kind", "item_id"], keep="first", maintain_order=True)
        .sort("map_id", pl.col("kind").cast(KIND_ORDER), "item_id")
    )


@dataclass(frozen=True)
class ItemSpace:
    """The item features of one model: (kind, item_id) pairs in column order, and the maps holding each.

    An id counts as present on a deal when it is in the deal's list for that kind and the deal's map
    holds it; a feature is applicable to a deal when the deal's map holds it.
    """

    keys: pl.DataFrame
    membership: pl.DataFrame

    @classmethod
    def from_catalogue(cls, catalogue: pl.DataFrame, map_ids: list[str] | None = None) -> ItemSpace:
        """Every item of the given maps (all maps when None)."""
        rows = catalogue if map_ids is None else catalogue.filter(pl.col("map_id").is_in(map_ids))
        keys = (
            rows.select("kind", "item_id").unique()
            .sort(pl.col("kind").cast(KIND_ORDER), "item_id")
            .with_columns(feature=pl.int_range(pl.len(), dtype=pl.UInt32))
        )
        membership = rows.select("map_id", "kind", "item_id").join(keys, on=["kind", "item_id"])
        return cls(keys.drop("feature"), membership.sort("feature", "map_id"))

    def __len__(self) -> int:
        return self.keys.height

    @property
    def names(self) -> list[str]:
        """Design-column names, e.g. ['role:cfo', 'question:q_cost']."""
        return [feature_name(k, i) for k, i in self.keys.iter_rows()]

    @property
    def maps(self) -> list[str]:
        return self.membership.get_column("map_id").unique().sort().to_list()

    def subset(self, features: np.ndarray) -> ItemSpace:
        """The space restricted to the given feature positions, in that order."""
        order = pl.DataFrame(
            {"feature": np.asarray(features, dtype=np.uint32), "new": np.arange(len(features), dtype=np.uint32)}
        )
        membership = self.membership.join(order, on="feature").drop("feature").rename({"new": "feature"})
        keys = self.keys.with_row_index("feature").join(order, on="feature").sort("new").select("kind", "item_id")
        return ItemSpace(keys, membership.sort("feature", "map_id"))

    def presence(self, deals: pl.DataFrame) -> np.ndarray:
        """Boolean matrix (deals x features): the deal's list for the kind holds the item. The lists are exploded
        by polars' streaming engine, a batch of deals at a time."""
        matrix = np.zeros((deals.height, len(self)), dtype=bool)
        indexed = deals.lazy().select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"), "map_id",
                                      *ITEM_LISTS.values())
        for kind, column in ITEM_LISTS.items():
            members = self.membership.filter(pl.col("kind") == kind).select("map_id", "item_id", "feature")
            if members.is_empty():
                continue
            hits = (
                indexed.select("row", "map_id", pl.col(column).alias("item_id"))
                .explode("item_id")
                .join(members.lazy(), on=["map_id", "item_id"], how="inner")
                .select("row", "feature")
                .collect(engine="streaming")
            )
            matrix[hits.get_column("row").to_numpy(), hits.get_column("feature").to_numpy()] = True
        return matrix

    def map_matrix(self) -> np.ndarray:
        """Boolean matrix (maps + 1 x features) of which map holds which item; the last row is 'no map'."""
        matrix = np.zeros((len(self.maps) + 1, len(self)), dtype=bool)
        codes = self.map_codes(self.membership.get_column("map_id"))
        matrix[codes, self.membership.get_column("feature").to_numpy()] = True
        return matrix

    def map_codes(self, map_ids: pl.Series) -> np.ndarray:
        """Row of `map_matrix` for each map id (unknown or null ids get the 'no map' row)."""
        maps = self.maps
        lookup = pl.Series(maps, dtype=pl.Utf8)
        codes = map_ids.cast(pl.Utf8).replace_strict(lookup, pl.Series(np.arange(len(maps))), default=len(maps))
        return codes.to_numpy().astype(np.int64)

    def applicable(self, map_ids: pl.Series) -> np.ndarray:
        """Boolean matrix (deals x features): the deal's map holds the item."""
        return self.map_matrix()[self.map_codes(map_ids)]


def _source(name: str) -> pl.Expr:
    """The raw value behind a control: derived ones for amount and creation date, else the column."""
    derived = {
        AMOUNT: pl.col("amount").cast(pl.Float64).clip(lower_bound=0).log1p(),
        TIME_TREND: pl.col("created_at").cast(pl.Date).cast(pl.Int64) / DAYS_PER_YEAR,
    }
    return derived.get(name, pl.col(name))


@dataclass(frozen=True)
class NumericControl:
    """A standardised numeric control, clamped to its training range so the model never extrapolates
    (deals created after the training window keep the trend's last value). Nulls become the mean,
    with a missing indicator when training had nulls."""

    name: str
    centre: float
    scale: float
    low: float
    high: float
    with_missing: bool

    @property
    def columns(self) -> list[str]:
        return [self.name] + ([f"{self.name}_missing"] if self.with_missing else [])

    def expressions(self) -> list[pl.Expr]:
        value = _source(self.name).cast(pl.Float64).fill_nan(None)
        standard = ((value.clip(self.low, self.high) - self.centre) / self.scale).fill_null(0.0)
        missing = value.is_null().cast(pl.Float64)
        return [standard] + ([missing] if self.with_missing else [])

    def terms(self) -> list[AttributeTerm]:
        """The reported effect: per standard deviation (the time trend is a control, not reported)."""
        if self.name == TIME_TREND:
            return []
        if self.name == AMOUNT:
            return [AttributeTerm(self.name, "amount", f"per standard deviation of log(1 + amount) ({self.scale:.3g})")]
        return [AttributeTerm(self.name, self.name, f"per standard deviation of {self.name} ({self.scale:.3g})")]


@dataclass(frozen=True)
class CategoricalControl:
    """A one-hot control; the most frequent level is the reference, rare levels are pooled."""

    name: str
    kept: tuple[str, ...]
    levels: tuple[str, ...]
    reference: str = ""

    @property
    def columns(self) -> list[str]:
        return [f"{self.name}={level}" for level in self.levels]

    def terms(self) -> list[AttributeTerm]:
        """One estimated term per level against the reference level, and the reference itself."""
        against = f"against {self.name} = {self.reference}"
        reference = AttributeTerm(None, f"{self.name}={self.reference}",
                                  f"reference level of {self.name}: the other levels are compared with it")
        return [AttributeTerm(c, c, against) for c in self.columns] + [reference]

    def pooled(self) -> pl.Expr:
        value = _source(self.name).cast(pl.Utf8).fill_null(MISSING_LEVEL)
        return pl.when(value.is_in(self.kept)).then(value).otherwise(pl.lit(OTHER_LEVEL))

    def expressions(self) -> list[pl.Expr]:
        pooled = self.pooled()
        return [(pooled == level).cast(pl.Float64) for level in self.levels]


Control = NumericControl | CategoricalControl


@dataclass(frozen=True)
class AttributeTerm:
    """A deal attribute's reported effect: its design column (None for a reference level), its item_id
    in analytics.driver_effects and what the odds ratio compares."""

    column: str | None
    item_id: str
    note: str


def _fit_numeric(deals: pl.DataFrame, name: str) -> NumericControl | None:
    values = deals.select(_source(name).cast(pl.Float64).fill_nan(None).alias("v")).get_column("v")
    present = values.drop_nulls()
    if present.len() < 2 or present.std() == 0:
        return None
    centre, scale = float(present.mean()), float(present.std())
    return NumericControl(name, centre, scale, float(present.min()), float(present.max()), values.null_count() > 0)


def _fit_categorical(deals: pl.DataFrame, name: str, min_deals: int) -> CategoricalControl | None:
    value = _source(name).cast(pl.Utf8).fill_null(MISSING_LEVEL)
    counts = deals.select(value.alias("level")).get_column("level").value_counts()
    kept = tuple(counts.filter(pl.col("count") >= min_deals).get_column("level").sort().to_list())
    pooled = CategoricalControl(name, kept, ())
    sizes = deals.select(pooled.pooled().alias("level")).get_column("level").value_counts()
    sizes = sizes.filter(pl.col("count") >= min_deals).sort(["count", "level"], descending=[True, False])
    ordered = sizes.get_column("level").to_list()
    levels = tuple(sorted(ordered[1:]))
    return CategoricalControl(name, kept, levels, ordered[0]) if levels else None


def is_numeric(dtype: pl.DataType) -> bool:
    """Numbers (not booleans): standardised controls; everything else is categorical."""
    return dtype.is_numeric() and dtype != pl.Boolean


@dataclass(frozen=True)
class ControlEncoder:
    """Encodes the control variables of one model (fitted on its closed deals, outcome-blind)."""

    controls: tuple[Control, ...]

    @classmethod
    def fit(
        cls,
        deals: pl.DataFrame,
        attribute_columns: list[str],
        *,
        categorical: tuple[str, ...] = (),
        min_level_deals: int = 20,
        leave_out: tuple[str, ...] = (),
    ) -> ControlEncoder:
        """Amount (log1p, missing indicator), a linear creation-date trend, then the given attributes;
        `leave_out` names columns ('amount' or attributes) that must not enter (outcome leaks)."""
        missing = [c for c in attribute_columns if c not in deals.columns]
        if missing:
            raise ValueError(f"attribute columns not in deals: {', '.join(missing)}")
        used = [c for c in attribute_columns if c not in leave_out]
        numeric = ([] if "amount" in leave_out else [AMOUNT]) + [TIME_TREND]
        numeric += [c for c in used if is_numeric(deals.schema[c])]
        levels = [*categorical] + [c for c in used if not is_numeric(deals.schema[c])]
        fitted = [_fit_numeric(deals, c) for c in numeric]
        fitted += [_fit_categorical(deals, c, min_level_deals) for c in levels]
        return cls(tuple(c for c in fitted if c is not None))

    @property
    def names(self) -> list[str]:
        return [column for control in self.controls for column in control.columns]

    def terms(self) -> list[AttributeTerm]:
        """The attribute effects reported in analytics.driver_effects, in control order."""
        return [term for control in self.controls for term in control.terms()]

    @property
    def clamped(self) -> list[int]:
        """Positions (among `names`) of the standardised numeric columns, which are clamped to training range."""
        positions, start = [], 0
        for control in self.controls:
            if isinstance(control, NumericControl):
                positions.append(start)
            start += len(control.columns)
        return positions

    def transform(self, deals: pl.DataFrame) -> np.ndarray:
        """Float matrix (deals x control columns)."""
        expressions = [e for control in self.controls for e in control.expressions()]
        if not expressions:
            return np.zeros((deals.height, 0))
        frame = deals.select([e.alias(f"c{i}") for i, e in enumerate(expressions)])
        return np.ascontiguousarray(frame.to_numpy(), dtype=np.float64)
