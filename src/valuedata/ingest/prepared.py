"""The input folder of a run in native form: as given, or converted from a CRM export."""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl

from valuedata.sources import PreparedInput, prepare_input
from valuedata.warehouse.sql import run_sql


@contextmanager
def native_input(input_dir: Path, source: str = "native") -> Iterator[PreparedInput]:
    """Yield the input in native form; a converted export lives only inside the block."""
    with tempfile.TemporaryDirectory(prefix="valuedata-input-") as work:
        yield prepare_input(input_dir, source, Path(work))


def convert_export(input_dir: Path, source: str, work_dir: Path) -> PreparedInput:
    """Convert an export into `work_dir` (emptied first) for a run that outlives this call."""
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    return prepare_input(input_dir, source, work_dir)


def record_source(conn: duckdb.DuckDBPyConnection, source: str, prepared: PreparedInput) -> None:
    """Keep what the export conversion read, ignored and noted in audit.source_files / audit.source_notes."""
    conn.register("source_files_frame", prepared.source_audit)
    conn.register("source_notes_frame", pl.DataFrame({"note": prepared.notes}, schema={"note": pl.String}))
    run_sql(conn, "audit/source_files.sql", source=source.replace("'", "''"))
    conn.unregister("source_files_frame")
    conn.unregister("source_notes_frame")
