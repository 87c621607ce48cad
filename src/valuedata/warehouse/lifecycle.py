"""The warehouse file's life: build a run into a private copy, publish it by atomic rename.

Analysts keep `valuedata.duckdb` open read-only while runs happen. A run never writes that file:
it copies it to a staging file beside it, writes there, and at the end `os.replace`s the staging
file over the published one. A reader holding the old file keeps reading the old, complete
version; a failed run leaves the published file untouched.

DuckDB keeps one database instance per path and process: `duckdb.connect(path)` while another
connection to the path is open in the same process reuses it, and so keeps seeing the version that
instance opened. `open_current` opens the file afresh every time, so it always sees the version
published last.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb

from valuedata.errors import ValuedataError
from valuedata.warehouse.sql import quote_ident, quote_literal, run_sql

# DuckDB spills beyond it; at 1GB the 1M-deal coverage step ran out of memory in 1 run of 6
DEFAULT_MEMORY_LIMIT = "2GB"
# A staging file up to this size stays open between a run's steps (see StagingConnections). Every test world
# fits (the seeds: 13 MB); a 100k-deal warehouse (67 MB) held open raised that run's peak RSS from 0.82 to 1.12 GiB.
HOLD_OPEN_BYTES = 32 * 2**20


@dataclass(frozen=True)
class Warehouse:
    """A published DuckDB warehouse file and the staging files of the runs that build it."""

    path: Path

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.lock")

    def staging_path(self, run_id: str) -> Path:
        return self.path.with_name(f".{self.path.name}.{run_id}.building")

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """Hold the one-builder-at-a-time lock; refuse at once, saying who holds it, if another run does.
        The holder writes its process id and start time into the lock file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ValuedataError(f"another valuedata run is building {self.path}{self._holder()}; wait for it "
                                     "to finish (the published warehouse stays readable meanwhile)") from None
            try:
                handle.seek(0)
                handle.truncate()
                started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
                handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": started}))
                handle.flush()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _holder(self) -> str:
        """' since <time> (process <pid> on <host>)' from the lock file, or '' when it says nothing."""
        try:
            holder = json.loads(self.lock_path.read_text(encoding="utf-8"))
            return f" since {holder['since']} (process {holder['pid']} on {holder['host']})"
        except (OSError, ValueError, KeyError, TypeError):
            return " right now"

    def begin(self, run_id: str) -> Path:
        """Start a run's staging file from the published warehouse (or empty) with every schema in place."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale_staging()
        staging = self.staging_path(run_id)
        if not staging.exists():
            if self.path.exists():
                shutil.copyfile(self.path, staging)
            with connect_staging(staging) as conn:
                run_sql(conn, "schemas.sql")
        return staging

    def publish(self, run_id: str) -> None:
        """Checkpoint the staging file and atomically replace the published warehouse with it."""
        staging = self.staging_path(run_id)
        with connect_staging(staging) as conn:
            conn.execute("DROP SCHEMA IF EXISTS staging CASCADE")
            conn.execute("CHECKPOINT")
        _fsync(staging)
        os.replace(staging, self.path)
        _fsync(self.path.parent)

    def discard(self, run_id: str) -> None:
        """Drop a run's staging file (the published warehouse is untouched)."""
        for path in (self.staging_path(run_id), Path(f"{self.staging_path(run_id)}.wal")):
            path.unlink(missing_ok=True)

    def _remove_stale_staging(self) -> None:
        for stale in self.path.parent.glob(f".{self.path.name}.*.building*"):
            stale.unlink(missing_ok=True)


def connect_staging(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a staging file, bounded in memory (`with` closes it)."""
    return duckdb.connect(str(path), config={"memory_limit": DEFAULT_MEMORY_LIMIT,
                                             "temp_directory": str(path.parent / ".duckdb_tmp")})


class StagingConnections:
    """A run's connections to its staging file. Opening a DuckDB file costs about 20 ms and a run connects
    some 60 times, so while the file is small one connection is held open between steps: DuckDB then reuses
    its open database for every later connection. Past HOLD_OPEN_BYTES it is let go, so that DuckDB's cache
    of a large warehouse does not stay in memory beside the models a step fits."""

    def __init__(self, path: Path):
        self.path = path
        self._held: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the staging file (see `connect_staging`)."""
        with connect_staging(self.path) as conn:
            yield conn
        if self.path.stat().st_size <= HOLD_OPEN_BYTES:
            self._held = self._held or connect_staging(self.path)
        else:
            self.release()

    @property
    def held(self) -> bool:
        return self._held is not None

    def release(self) -> None:
        """Close the held connection: before the file is published or discarded."""
        if self._held is not None:
            self._held.close()
            self._held = None


def open_current(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the version of the warehouse published last, even in a process that
    holds older connections: the file is attached to a new in-memory DuckDB instance, under its usual
    catalog name (the file's stem), so `analytics.deal_coverage` and `valuedata.analytics.…` both work (`with`
    closes it)."""
    path = Path(path)
    if not path.exists():
        raise ValuedataError(f"no warehouse at {path}: run `valuedata run` first (or pass --warehouse PATH)")
    catalog = path.stem if path.stem.lower() not in ("memory", "system", "temp", "main") else "warehouse"
    conn = duckdb.connect()
    try:
        conn.execute(f"ATTACH {quote_literal(str(path))} AS {quote_ident(catalog)} (READ_ONLY)")
        conn.execute(f"USE {quote_ident(catalog)}")
    except duckdb.Error as exc:
        conn.close()
        raise ValuedataError(f"{path} cannot be opened as a DuckDB warehouse: {str(exc).strip().splitlines()[0]}") \
            from None
    return conn


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
