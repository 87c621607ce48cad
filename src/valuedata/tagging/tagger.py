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

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from valuedata.tagging import model
from valuedata.tagging.coldstart import TEXT_SHARE, Matcher
from valuedata.tagging.text import note_features

KIND_LISTS = {"value_proposition": "value_propositions", "issue": "issues", "question": "questions"}
MIN_LABELLED = 100  # engagements of a map whose field lists an item of a kind, to learn the kind (else: cold start)
CHUNK = 200_000  # notes featurised at a time when tagging (bounds memory)
THREADS = 2  # chunks tagged at once (polars, numpy and scipy release the interpreter lock)
SEED = 20260315

TAG_SCHEMA = {"engagement_id": pl.String, "deal_id": pl.String, "map_id": pl.String, "kind": pl.String,
              "item_id": pl.String, "source": pl.String, "confidence": pl.Float64}
QUALITY_SCHEMA = {"map_id": pl.String, "segment": pl.String, "kind": pl.String, "item_id": pl.String,
                  "method": pl.String, "labelled_engagements": pl.Int64, "positives": pl.Int64,
                  "precision_cv": pl.Float64, "recall_cv": pl.Float64, "threshold": pl.Float64, "used": pl.Boolean,
                  "note": pl.String}


@dataclass
class KindTagger:
    """How one map's items of one kind are read from notes: learnt weights, or the cold-start matcher."""

    kind: str
    item_ids: list[str]
    thresholds: np.ndarray  # per item (inf when its notes tags are not used)
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
class Training:
    """The field-tagged notes of one map the models learn from (a sample when there are many)."""

    rows: pl.DataFrame
    vocabulary: pl.DataFrame
    x: sp.csr_matrix


def tag_notes(engagements: pl.DataFrame, items: pl.DataFrame, maps: pl.DataFrame,
              say: Callable[[str], None] = lambda _m: None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Notes tags (TAG_SCHEMA, source 'notes') and one quality row per item (QUALITY_SCHEMA).

    ``engagements``: engagement_id, deal_id, map_id, notes and the three id lists; ``items``: map_id,
    kind, item_id, text, keywords; ``maps``: map_id, segment."""
    tags, quality = [], []
    engagements = engagements.with_columns(
        field_tagged=pl.any_horizontal(pl.col(c).list.len() > 0 for c in KIND_LISTS.values()))
    for map_id, segment in maps.select("map_id", "segment").iter_rows():
        rows = engagements.filter((pl.col("map_id") == map_id) & (pl.col("notes").str.strip_chars() != ""))
        map_items = items.filter(pl.col("map_id") == map_id)
        training = _training(rows)
        taggers = []
        for kind in KIND_LISTS:
            kind_items = map_items.filter(pl.col("kind") == kind)
            if kind_items.is_empty():
                continue
            listing = rows.filter(pl.col(KIND_LISTS[kind]).list.len() > 0).height
            if listing >= MIN_LABELLED:
                tagger, rows_q = _supervised(training, kind, kind_items["item_id"].to_list())
            else:
                tagger, rows_q = _cold_start(kind, kind_items, map_items, listing)
            taggers.append(tagger)
            quality.append(rows_q.with_columns(map_id=pl.lit(map_id), segment=pl.lit(segment)))
        say(f"{map_id}: learnt its items; reading {rows.height:,} notes")
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            tags += pool.map(lambda start: _apply(rows.slice(start, CHUNK), taggers, training),
                             range(0, rows.height, CHUNK))
        say(f"{map_id}: notes read")
    tags_frame = pl.concat(tags) if tags else pl.DataFrame(schema=TAG_SCHEMA)
    quality_frame = pl.concat([pl.DataFrame(schema=QUALITY_SCHEMA), *quality], how="diagonal_relaxed")
    return tags_frame.select(list(TAG_SCHEMA)), quality_frame.select(list(QUALITY_SCHEMA))


def _training(rows: pl.DataFrame) -> Training:
    labelled = rows.filter(pl.col("field_tagged"))
    if labelled.height > model.MAX_TRAINING:
        labelled = labelled.sample(model.MAX_TRAINING, seed=SEED)
    features = note_features(labelled["notes"]).collect()
    vocabulary = model.vocabulary(features)
    return Training(labelled, vocabulary, model.design(features, vocabulary, labelled.height))


def _cold_start(kind: str, kind_items: pl.DataFrame, map_items: pl.DataFrame,
                listing: int) -> tuple[KindTagger, pl.DataFrame]:
    item_ids = kind_items["item_id"].to_list()
    matcher = Matcher(kind_items["text"].to_list(), kind_items["keywords"].to_list(), map_items["text"].to_list())
    note = (f"cold start: only {listing} engagements list a {kind.replace('_', ' ')} in their tag field "
            f"({MIN_LABELLED} are needed to learn); matched on the map's words and keywords, not measured")
    quality = pl.DataFrame({"kind": kind, "item_id": item_ids, "method": "cold_start",
                            "labelled_engagements": listing, "used": True, "note": note, "threshold": TEXT_SHARE})
    return KindTagger(kind, item_ids, np.full(len(item_ids), TEXT_SHARE), matcher=matcher), quality


def _supervised(training: Training, kind: str, item_ids: list[str]) -> tuple[KindTagger, pl.DataFrame]:
    lists = training.rows[KIND_LISTS[kind]].to_list()
    labels = np.array([[item in listed for item in item_ids] for listed in lists], dtype=np.int8)
    thresholds, coef, intercept = model.learn(training.x, labels, training.rows["deal_id"].to_numpy())
    quality = pl.DataFrame({
        "kind": kind, "item_id": item_ids, "method": "supervised", "labelled_engagements": training.rows.height,
        "positives": labels.sum(0).astype(np.int64), "precision_cv": [t.precision for t in thresholds],
        "recall_cv": [t.recall for t in thresholds], "threshold": [t.threshold for t in thresholds],
        "used": [t.threshold is not None for t in thresholds], "note": [t.note for t in thresholds]},
        schema_overrides={"precision_cv": pl.Float64, "recall_cv": pl.Float64, "threshold": pl.Float64})
    cut = np.array([t.threshold if t.threshold is not None else np.inf for t in thresholds])
    return KindTagger(kind, item_ids, cut, coef=coef, intercept=intercept), quality


def _apply(chunk: pl.DataFrame, taggers: list[KindTagger], training: Training) -> pl.DataFrame:
    """Notes tags of one chunk of a map's engagements."""
    taggers = [t for t in taggers if np.isfinite(t.thresholds).any()]
    if not taggers:
        return pl.DataFrame(schema=TAG_SCHEMA)
    features = note_features(chunk["notes"]).collect()
    x = model.design(features, training.vocabulary, chunk.height) if any(t.learnt for t in taggers) else None
    out = []
    for t in taggers:
        empty = (~chunk["field_tagged"] if t.learnt else chunk[KIND_LISTS[t.kind]].list.len() == 0).to_numpy()
        scores = t.scores(features, x, chunk.height)
        hit_row, hit_item = np.nonzero((scores >= t.thresholds) & empty[:, None])
        out.append(pl.DataFrame({
            "engagement_id": chunk["engagement_id"].gather(hit_row), "deal_id": chunk["deal_id"].gather(hit_row),
            "map_id": chunk["map_id"].gather(hit_row), "kind": t.kind,
            "item_id": pl.Series(t.item_ids, dtype=pl.String).gather(hit_item), "source": "notes",
            "confidence": scores[hit_row, hit_item].astype(np.float64)}, schema=TAG_SCHEMA))
    return pl.concat(out)
