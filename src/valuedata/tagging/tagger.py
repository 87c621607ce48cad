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
from dataclasses import dataclass

import numpy as np
import polars as pl

from valuedata.tagging import model
from valuedata.tagging.coldstart import TEXT_SHARE, Matcher
from valuedata.tagging.text import note_features

KIND_LISTS = {"value_proposition": "value_propositions", "issue": "issues", "question": "questions"}
MIN_LABELLED = 100  # labelled engagements of a kind in a map, to learn it rather than match the map's words
CHUNK = 250_000  # notes featurised at a time when tagging (bounds memory)
SEED = 20260315

TAG_SCHEMA = {"engagement_id": pl.String, "deal_id": pl.String, "map_id": pl.String, "kind": pl.String,
              "item_id": pl.String, "source": pl.String, "confidence": pl.Float64}
QUALITY_SCHEMA = {"map_id": pl.String, "segment": pl.String, "kind": pl.String, "item_id": pl.String,
                  "method": pl.String, "labelled_engagements": pl.Int64, "positives": pl.Int64,
                  "precision_cv": pl.Float64, "recall_cv": pl.Float64, "threshold": pl.Float64, "used": pl.Boolean,
                  "note": pl.String}


@dataclass
class KindTagger:
    """How one map's items of one kind are read from notes."""

    kind: str
    item_ids: list[str]
    used: np.ndarray  # bool per item
    thresholds: np.ndarray  # per item (inf when unused)
    score: Callable[[pl.DataFrame, int], np.ndarray]  # (row, feature) pairs, rows -> (rows, items) scores
    learnt: bool  # learnt: tag engagements without any field tag; else: every one with this field empty


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
        taggers = []
        for kind in KIND_LISTS:
            kind_items = items.filter((pl.col("map_id") == map_id) & (pl.col("kind") == kind))
            if kind_items.is_empty():
                continue
            tagger, rows_q = _kind_tagger(rows, kind, kind_items, items.filter(pl.col("map_id") == map_id))
            taggers.append(tagger)
            quality.append(rows_q.with_columns(map_id=pl.lit(map_id), segment=pl.lit(segment)))
        say(f"{map_id}: reading {rows.height:,} notes")
        tags += [_apply(rows.slice(start, CHUNK), taggers) for start in range(0, rows.height, CHUNK)]
    tags_frame = pl.concat(tags) if tags else pl.DataFrame(schema=TAG_SCHEMA)
    quality_frame = pl.concat([pl.DataFrame(schema=QUALITY_SCHEMA), *quality], how="diagonal_relaxed")
    return tags_frame.select(list(TAG_SCHEMA)), quality_frame.select(list(QUALITY_SCHEMA))


def _kind_tagger(rows: pl.DataFrame, kind: str, kind_items: pl.DataFrame,
                 map_items: pl.DataFrame) -> tuple[KindTagger, pl.DataFrame]:
    column = KIND_LISTS[kind]
    item_ids = kind_items["item_id"].to_list()
    listing = rows.filter(pl.col(column).list.len() > 0).height
    if listing >= MIN_LABELLED:
        return _supervised(rows.filter(pl.col("field_tagged")), kind, item_ids, column)
    matcher = Matcher(kind_items["text"].to_list(), kind_items["keywords"].to_list(), map_items["text"].to_list())
    used = np.ones(len(item_ids), dtype=bool)
    note = (f"cold start: only {listing} engagements list a {kind.replace('_', ' ')} in their tag field "
            f"({MIN_LABELLED} are needed to learn); matched on the map's words and keywords, not measured")
    quality = pl.DataFrame({"kind": kind, "item_id": item_ids, "method": "cold_start",
                            "labelled_engagements": listing, "used": True, "note": note,
                            "threshold": TEXT_SHARE})
    return KindTagger(kind, item_ids, used, np.full(len(item_ids), TEXT_SHARE), matcher.scores,
                      learnt=False), quality


def _supervised(labelled: pl.DataFrame, kind: str, item_ids: list[str], column: str) -> tuple[KindTagger, pl.DataFrame]:
    if labelled.height > model.MAX_TRAINING:
        labelled = labelled.sample(model.MAX_TRAINING, seed=SEED)
    features = note_features(labelled["notes"]).collect()
    vocab = model.vocabulary(features)
    x = model.design(features, vocab, labelled.height)
    lists = labelled[column].to_list()
    labels = np.array([[item in listed for item in item_ids] for listed in lists], dtype=np.int8)
    groups = labelled["deal_id"].to_numpy()
    thresholds, coef, intercept = model.learn(x, labels, groups)
    models = model.ItemModels(vocab, coef, intercept)
    used = np.array([t.threshold is not None for t in thresholds])
    quality = pl.DataFrame({
        "kind": kind, "item_id": item_ids, "method": "supervised", "labelled_engagements": labelled.height,
        "positives": labels.sum(0).astype(np.int64), "precision_cv": [t.precision for t in thresholds],
        "recall_cv": [t.recall for t in thresholds], "threshold": [t.threshold for t in thresholds],
        "used": used, "note": [t.note for t in thresholds]}, schema_overrides={"precision_cv": pl.Float64,
                                                                             "recall_cv": pl.Float64,
                                                                             "threshold": pl.Float64})
    cut = np.array([t.threshold if t.threshold is not None else np.inf for t in thresholds])
    return KindTagger(kind, item_ids, used, cut, models.probabilities, learnt=True), quality


def _apply(chunk: pl.DataFrame, taggers: list[KindTagger]) -> pl.DataFrame:
    """Notes tags of one chunk of a map's engagements."""
    features = note_features(chunk["notes"]).collect()
    out = []
    for t in taggers:
        if not t.used.any():
            continue
        empty = (~chunk["field_tagged"] if t.learnt else chunk[KIND_LISTS[t.kind]].list.len() == 0).to_numpy()
        scores = t.score(features, chunk.height)
        hit_row, hit_item = np.nonzero((scores >= t.thresholds) & empty[:, None])
        out.append(pl.DataFrame({
            "engagement_id": chunk["engagement_id"].gather(hit_row), "deal_id": chunk["deal_id"].gather(hit_row),
            "map_id": chunk["map_id"].gather(hit_row), "kind": t.kind,
            "item_id": pl.Series(t.item_ids, dtype=pl.String).gather(hit_item), "source": "notes",
            "confidence": scores[hit_row, hit_item].astype(np.float64)}, schema=TAG_SCHEMA))
    return pl.concat(out) if out else pl.DataFrame(schema=TAG_SCHEMA)
