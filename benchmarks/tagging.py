"""Benchmark: the tagging step (core.engagement_tags + analytics.tagging_quality) on millions of notes.

A generated notes world (70% of engagements carry only notes) is loaded into a DuckDB warehouse, its
engagements are repeated under new ids up to the wanted number (each copy's note gets its own case
number, so no two notes are alike and none is read for free), and `build_engagement_tags` runs on
them: learning each map's items from field-tagged notes, then tagging every other note.

Run: .venv/bin/python benchmarks/tagging.py [--notes 5000000] [--deals N (5 notes a deal)]
Target: 5 million notes within 60 s on a 2-core machine. Each stage is printed with its wall and CPU
time: on a shared machine the CPU seconds (over 2 cores) say more than the wall time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb

from valuedata.generate import generate
from valuedata.ingest import steps
from valuedata.tagging import build_engagement_tags

WORLD_DEALS = 4000  # about 20,000 distinct engagements, repeated


def build(folder: Path, db: Path, notes: int) -> int:
    """A warehouse whose core.engagements holds `notes` engagements; returns how many it has."""
    generate(folder, deals=WORLD_DEALS, seed=1, notes_share=0.7)
    with duckdb.connect(str(db)) as conn:
        conn.execute("SET enable_progress_bar = false")
        steps.ingest_folder(conn, folder, "bench")
        [(distinct,)] = conn.execute("SELECT count(*) FROM core.engagements").fetchall()
        copies = -(-notes // distinct)
        conn.execute(f"""CREATE OR REPLACE TABLE core.engagements AS
            SELECT * REPLACE (engagement_id || '-' || k AS engagement_id,
                              CASE WHEN k > 0 AND trim(coalesce(notes, '')) <> '' THEN notes || ' Case ' || k || '.'
                                   ELSE notes END AS notes)
            FROM core.engagements, range({copies}) r(k) LIMIT {notes}""")
        return conn.execute("SELECT count(*) FROM core.engagements").fetchall()[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=None, help="engagements with notes to tag (default 5,000,000)")
    parser.add_argument("--deals", type=int, default=None, help="or: deals, at 5 engagements a deal")
    args = parser.parse_args()
    notes = args.notes or (args.deals * 5 if args.deals else 5_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:  # peak RSS: tagging's own
            rows = pool.submit(build, Path(tmp) / "world", db, notes).result()
        print(f"built {rows:,} engagements in {time.perf_counter() - started:.1f} s", flush=True)
        stages: list[tuple[str, float, float]] = []
        last = [time.perf_counter(), _cpu_seconds()]

        def lap(message: str) -> None:
            now, cpu_now = time.perf_counter(), _cpu_seconds()
            stages.append((message, now - last[0], cpu_now - last[1]))
            last[:] = [now, cpu_now]

        with duckdb.connect(str(db)) as conn:
            steps.set_run_variables(conn, "bench")
            started, cpu_before = last[:] = [time.perf_counter(), _cpu_seconds()]
            summary = build_engagement_tags(conn, lap)
            seconds = time.perf_counter() - started
            cpu = _cpu_seconds() - cpu_before
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    for message, took, cpu_took in stages:
        print(f"  {took:6.1f} s wall {cpu_took:6.1f} s CPU  until: {message}")
    print(f"tagging {summary.engagements_with_notes:,} notes: {seconds:.1f} s wall, {cpu:.1f} s CPU "
          f"({summary.engagements_with_notes / seconds:,.0f} notes/s), peak RSS {peak_gb:.1f} GB")
    print(f"  {summary.field_tags:,} field tags, {summary.notes_tags:,} notes tags on "
          f"{summary.engagements_tagged_from_notes:,} engagements; items used {summary.items_used}, "
          f"not used {summary.items_not_used}; {summary.notes_read:,} notes read")
    if notes < 5_000_000:  # learning is a fixed cost (a capped sample); reading grows with the notes
        learning = sum(took for message, took, _ in stages if "learnt its items" in message)
        factor = 5_000_000 / summary.engagements_with_notes
        print(f"  extrapolated to 5,000,000 notes: {learning + (seconds - learning) * factor:.0f} s wall "
              f"(learning {learning:.0f} s fixed, reading x {factor:.1f})")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
