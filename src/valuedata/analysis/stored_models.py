"""The fitted win models kept in the warehouse (models.segment_models), so that later steps and nightly
runs score with them instead of refitting. The blobs are pickles valuedata wrote itself into its own
warehouse file; nothing else should write that table."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from valuedata.analysis.model import SegmentModel
from valuedata.errors import ValuedataError
from valuedata.vocabulary import ALL_SEGMENTS
from valuedata.warehouse.sql import fetch_one, run_sql

SCHEMA = {"segment": pl.Utf8, "fitted_at": pl.Datetime("us", "UTC"), "closed_deals": pl.Int64, "model": pl.Binary}


@dataclass(frozen=True)
class ModelsFitted:
    """When the stored models were fitted, and on how many closed deals (the '*' model's, else the sum)."""

    fitted_at: datetime
    closed_deals: int


def save_models(conn: duckdb.DuckDBPyConnection, models: dict[str, SegmentModel], quality: pl.DataFrame) -> None:
    """Replace models.segment_models with `models`; `quality` (analytics.model_quality rows) gives each
    model's fitted_at and closed_deals."""
    frame = pl.DataFrame(
        [{"segment": segment, "model": pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)}
         for segment, model in models.items()], schema={"segment": pl.Utf8, "model": pl.Binary})
    frame = frame.join(quality.select("segment", "fitted_at", "closed_deals"), on="segment", how="left")
    conn.register("segment_models_frame", frame.select(list(SCHEMA)).cast(SCHEMA))
    run_sql(conn, "models/segment_models.sql")
    conn.unregister("segment_models_frame")


def load_models(conn: duckdb.DuckDBPyConnection) -> dict[str, SegmentModel]:
    """The stored models by segment; an error saying how to get them when none were ever fitted."""
    if not _stored(conn):
        raise ValuedataError("no fitted win models in this warehouse yet: run the full pipeline once "
                             "(`valuedata run`, or the weekly_refit job) before a nightly run")
    rows = conn.execute("SELECT segment, model FROM models.segment_models").fetchall()
    return {segment: pickle.loads(blob) for segment, blob in rows}


def models_fitted(conn: duckdb.DuckDBPyConnection) -> ModelsFitted | None:
    """When the stored models were fitted and on how many closed deals; None when none are stored."""
    if not _stored(conn):
        return None
    found = fetch_one(conn, "SELECT max(fitted_at), coalesce(max(closed_deals) FILTER (WHERE segment = ?), "
                            "sum(closed_deals)) FROM models.segment_models", [ALL_SEGMENTS])
    return ModelsFitted(found[0], int(found[1])) if found and found[0] is not None else None


def _stored(conn: duckdb.DuckDBPyConnection) -> bool:
    return fetch_one(conn, "SELECT 1 FROM duckdb_tables() WHERE schema_name = 'models' "
                           "AND table_name = 'segment_models'") is not None
