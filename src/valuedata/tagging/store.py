"""The taggers kept in the warehouse (models.notes_taggers), so that a nightly run tags new and changed
engagements with them instead of re-learning. The blobs are pickles valuedata wrote itself into its own
warehouse file; nothing else should write that table."""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from valuedata.tagging.tagger import MapTagger
from valuedata.warehouse.sql import fetch_one, run_sql

RELEARN_GROWTH = 0.10  # re-learn a map once its labelled engagements grew by this share since learning
SCHEMA = {"map_id": pl.String, "learnt_at": pl.Datetime("us", "UTC"), "labelled_engagements": pl.Int64,
          "items_fingerprint": pl.String, "tagger": pl.Binary}


@dataclass(frozen=True)
class StoredTagger:
    """A map's tagger, when it was learnt, and the fingerprint of the map's items it was learnt for."""

    tagger: MapTagger
    learnt_at: datetime
    items_fingerprint: str


def items_fingerprint(map_items: pl.DataFrame) -> str:
    """A digest of a map's items (kind, id, text, keywords) in their order: it changes when the map does."""
    return hashlib.sha256(map_items.select("kind", "item_id", "text", "keywords").write_json().encode()).hexdigest()


def relearn_reason(stored: StoredTagger | None, fingerprint: str, labelled: int) -> str | None:
    """Why a map must be learnt again (None: its stored tagger still holds)."""
    if stored is None:
        return "no tagger stored"
    if fingerprint != stored.items_fingerprint:
        return "its items changed"
    before = stored.tagger.labelled
    if labelled > before and labelled >= before * (1 + RELEARN_GROWTH):
        return f"its labelled engagements grew from {before:,} to {labelled:,}"
    return None


def load_taggers(conn: duckdb.DuckDBPyConnection) -> dict[str, StoredTagger]:
    """The stored taggers by map (none in a warehouse never tagged)."""
    if fetch_one(conn, "SELECT 1 FROM duckdb_tables() WHERE schema_name = 'models' "
                       "AND table_name = 'notes_taggers'") is None:
        return {}
    rows = conn.execute("SELECT map_id, learnt_at, items_fingerprint, tagger FROM models.notes_taggers").fetchall()
    return {map_id: StoredTagger(pickle.loads(blob), learnt_at, fingerprint)
            for map_id, learnt_at, fingerprint, blob in rows}


def save_taggers(conn: duckdb.DuckDBPyConnection, taggers: dict[str, StoredTagger]) -> None:
    """Replace models.notes_taggers with ``taggers``."""
    frame = pl.DataFrame([{"map_id": map_id, "learnt_at": s.learnt_at, "labelled_engagements": s.tagger.labelled,
                           "items_fingerprint": s.items_fingerprint,
                           "tagger": pickle.dumps(s.tagger, protocol=pickle.HIGHEST_PROTOCOL)}
                          for map_id, s in taggers.items()], schema=SCHEMA)
    conn.register("notes_taggers_frame", frame)
    run_sql(conn, "models/notes_taggers.sql")
    conn.unregister("notes_taggers_frame")
