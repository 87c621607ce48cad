"""Tag engagements from their notes, map by map and kind by kind.

An engagement is *field-tagged* when any of its three tag fields (value propositions, issues,
questions) lists something; its fields are then taken as complete, so an empty field means "none of
that kind". When at least MIN_LABELLED engagements of a map list items of a kind, that kind is learnt
from the notes of the field-tagged engagements (``model.py``) and notes tags go to the engagements
that are not field-tagged. When a kind's field is (almost) never used, its items are matched on the
map's own words and keywords (``coldstart.py``), which no field tag can measure, on every engagement
whose field of that kind is empty. Field tags always stand; notes tags only add.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from valuedata.tagging import model
from valuedata.tagging.coldstart import TEXT_SHARE, Matcher
from valuedata.tagging.text import note_features
from valuedata.vocabulary import TAG_FIELDS

# a notes tag's confidence is kept to this many decimals: the float sums of the cold-start scores end in digits
# that follow the order polars adds in, which varies from run to run; rounded, the same notes give the same tags
CONFIDENCE_DIGITS = 9
MIN_LABELLED = 100  # engagements of a map whose field lists an item of a kind, to learn the kind (else: cold start)

TAG_SCHEMA = {"engagement_id": pl.String, "deal_id": pl.String, "map_id": pl.String, "kind": pl.String,
              "item_id": pl.String, "source": pl.String, "confidence": pl.Float64}
QUALITY_SCHEMA = {"map_id": pl.String, "segment": pl.String, "kind": pl.String, "item_id": pl.String,
                  "method": pl.String, "labelled_engagements": pl.Int64, "positives": pl.Int64,
                  "precision_cv": pl.Float64, "recall_cv": pl.Float64, "threshold": pl.Float64, "used": pl.Boolean,
                  "note": pl.String}


@dataclass
class KindTagger:
    """How one map's used items of one kind are read from notes: learnt weights, or the cold-start matcher."""

    kind: str
    item_ids: list[str]
    thresholds: np.ndarray  # per item
    coef: np.ndarray | None = None  # learnt: (vocabulary, items) weights
    intercept: np.ndarray | None = None
    matcher: Matcher | None = None  # cold start

    @property
    def learnt(self) -> bool:
        """Learnt kinds tag engagements without any field tag; matched ones every one with this field empty."""
        return self.coef is not None

    def scores(self, features: pl.DataFrame, x: sp.csr_matrix | None, rows: int) -> np.ndarray:
        if self.matcher is not None:
            return self.matcher.scores(features, rows)
        return 1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept)))


@dataclass
class MapTagger:
    """How one map's notes are read: learnt once, stored in the warehouse and reused while the map and its
    labelled engagements hold (see warehouse.py)."""

    map_id: str
    kinds: list[KindTagger]  # the kinds with at least one used item
    vocabulary: pl.DataFrame  # the features the learnt kinds weigh
    quality: pl.DataFrame  # QUALITY_SCHEMA: one row per item of the map
    labelled: int  # the map's field-tagged engagements with notes when it was learnt

    @property
    def field_kinds_read(self) -> list[str]:
        """Tag-field columns whose emptiness alone opens an engagement to notes tags (the cold-start kinds)."""
        return [TAG_FIELDS[t.kind] for t in self.kinds if not t.learnt]

    def tag(self, chunk: pl.DataFrame) -> pl.DataFrame:
        """Notes tags (TAG_SCHEMA) of a chunk of the map's engagements (engagement_id, deal_id, notes and the
        three id lists). Each distinct note is read once."""
        if not self.kinds or chunk.is_empty():
            return pl.DataFrame(schema=TAG_SCHEMA)
        distinct = chunk.select("notes").unique(maintain_order=True).with_row_index("note")
        note = chunk.select("notes").join(distinct, on="notes", how="left", maintain_order="left")["note"].to_numpy()
        features = note_features(distinct["notes"]).collect()
        learnt = any(t.learnt for t in self.kinds)
        x = model.design(features, self.vocabulary, distinct.height) if learnt else None
        field_tagged = chunk.select(pl.any_horizontal(pl.col(c).list.len() > 0 for c in TAG_FIELDS.values())).to_series()
        out = []
        for t in self.kinds:
            open_rows = (~field_tagged if t.learnt else chunk[TAG_FIELDS[t.kind]].list.len() == 0).to_numpy()
            rows = np.nonzero(open_rows)[0]
            scores = t.scores(features, x, distinct.height)[note[rows]]
            hit, hit_item = np.nonzero(scores >= t.thresholds)
            hit_row = rows[hit]
            out.append(pl.DataFrame({
                "engagement_id": chunk["engagement_id"].gather(hit_row), "deal_id": chunk["deal_id"].gather(hit_row),
                "map_id": self.map_id, "kind": t.kind,
                "item_id": pl.Series(t.item_ids, dtype=pl.String).gather(hit_item), "source": "notes",
                "confidence": scores[hit, hit_item].astype(np.float64).round(CONFIDENCE_DIGITS)}, schema=TAG_SCHEMA))
        return pl.concat(out)


def learn_map(map_id: str, segment: str, map_items: pl.DataFrame, training: pl.DataFrame, listing: dict[str, int],
              labelled: int) -> MapTagger:
    """One map's tagger. ``map_items``: kind, item_id, text, keywords; ``training``: a sample of the map's
    field-tagged engagements with notes (deal_id, notes, the three id lists); ``listing``: per kind, how many
    of its engagements list an item of it; ``labelled``: how many are field-tagged."""
    features = note_features(training["notes"]).collect()
    vocabulary = model.vocabulary(features)
    x = model.design(features, vocabulary, training.height)
    kinds, quality = [], []
    for kind in TAG_FIELDS:
        kind_items = map_items.filter(pl.col("kind") == kind)
        if kind_items.is_empty():
            continue
        if listing.get(kind, 0) >= MIN_LABELLED:
            tagger, rows_q = _supervised(training, x, kind, kind_items["item_id"].to_list())
        else:
            tagger, rows_q = _cold_start(kind, kind_items, map_items, listing.get(kind, 0))
        if tagger.item_ids:
            kinds.append(tagger)
        quality.append(rows_q.with_columns(map_id=pl.lit(map_id), segment=pl.lit(segment)))
    quality_frame = pl.concat([pl.DataFrame(schema=QUALITY_SCHEMA), *quality], how="diagonal_relaxed")
    return MapTagger(map_id, kinds, vocabulary, quality_frame.select(list(QUALITY_SCHEMA)), labelled)


def _cold_start(kind: str, kind_items: pl.DataFrame, map_items: pl.DataFrame,
                listing: int) -> tuple[KindTagger, pl.DataFrame]:
    item_ids = kind_items["item_id"].to_list()
    matcher = Matcher(kind_items["text"].to_list(), kind_items["keywords"].to_list(), map_items["text"].to_list())
    note = (f"cold start: only {listing} engagements list a {kind.replace('_', ' ')} in their tag field "
            f"({MIN_LABELLED} are needed to learn); matched on the map's words and keywords, not measured")
    quality = pl.DataFrame({"kind": kind, "item_id": item_ids, "method": "cold_start",
                            "labelled_engagements": listing, "used": True, "note": note, "threshold": TEXT_SHARE})
    return KindTagger(kind, item_ids, np.full(len(item_ids), TEXT_SHARE), matcher=matcher), quality


def _supervised(training: pl.DataFrame, x: sp.csr_matrix, kind: str,
                item_ids: list[str]) -> tuple[KindTagger, pl.DataFrame]:
    lists = training[TAG_FIELDS[kind]].to_list()
    labels = np.array([[item in listed for item in item_ids] for listed in lists], dtype=np.int8)
    thresholds, coef, intercept = model.learn(x, labels, training["deal_id"].to_numpy())
    quality = pl.DataFrame({
        "kind": kind, "item_id": item_ids, "method": "supervised", "labelled_engagements": training.height,
        "positives": labels.sum(0).astype(np.int64), "precision_cv": [t.precision for t in thresholds],
        "recall_cv": [t.recall for t in thresholds], "threshold": [t.threshold for t in thresholds],
        "used": [t.threshold is not None for t in thresholds], "note": [t.note for t in thresholds]},
        schema_overrides={"precision_cv": pl.Float64, "recall_cv": pl.Float64, "threshold": pl.Float64})
    used = [j for j, t in enumerate(thresholds) if t.threshold is not None]
    cut = np.array([thresholds[j].threshold for j in used], dtype=np.float32)
    return KindTagger(kind, [item_ids[j] for j in used], cut, coef=coef[:, used], intercept=intercept[used]), quality
