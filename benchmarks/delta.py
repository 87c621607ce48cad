"""Nightly delta benchmark: what loading a small export costs against a 1M-deal warehouse, beside the full run.

    .venv/bin/python benchmarks/delta.py [--world DIR | --deals 1000000] [--changed 1000] [--part run|ingest]

The world (default: the ingest benchmark's generated dataset) is copied into a temporary folder and left
untouched. Then, each in its own process (so that its peak RSS is its own):
  full   --part run: the whole `valuedata run` on the world (the weekly_refit job: everything, models fitted);
         --part ingest: the ingest alone, a full rebuild;
  delta  a batch of --changed open deals that closed (won or lost 30 days after they were created), loaded
         as the inbox sensor loads a drop: --part run: the nightly job (`valuedata run --nightly`) on the full
         run's warehouse; --part ingest: the ingest alone on a copy of the full ingest's warehouse.
The ingest alone is maps, raw files, checks, core, quarantine, reconciliation, coverage and unmapped titles
(engagement tags are the tagging benchmark's).
Prints both wall times, peak RSS and the ratio delta / full (target <= 0.2).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


def ingest(world: Path, warehouse: Path, batch: Path | None) -> dict[str, float]:
    """The ingest of `world` (and `batch`) into `warehouse`: a full rebuild into a new file, a delta into an
    existing one. Returns the seconds of each stage."""
    from valuedata.ingest import delta, steps
    from valuedata.tagging import build_field_tags
    from valuedata.warehouse.lifecycle import connect_staging
    from valuedata.warehouse.sql import run_sql

    stages: dict[str, float] = {}
    run_id = "bench-delta" if batch else "bench-full"

    def stage(name: str, work) -> None:
        started = time.perf_counter()
        work()
        stages[name] = time.perf_counter() - started

    with connect_staging(warehouse) as conn:
        stage("maps", lambda: (run_sql(conn, "schemas.sql"), steps.start_run(conn, run_id, world),
                               steps.load_value_maps(conn, world, batch)))
        stage("raw (read + hash)", lambda: steps.load_raw_files(conn, world, run_id, batch))
        plan = delta.plan(conn)
        stage("checks + core + quarantine", lambda: steps.load_checked_tables(conn))
        if plan.full:
            stage("field tags", lambda: build_field_tags(conn))
        stage("deal coverage", lambda: steps.build_deal_coverage(conn))
        stage("unmapped titles", lambda: steps.build_unmapped_titles(conn))
        stage("checkpoint", lambda: conn.execute("DROP SCHEMA staging CASCADE; CHECKPOINT"))  # as publishing does
        stages["plan"] = plan.reason  # type: ignore[assignment]
    return stages


def whole_run(world: Path, warehouse: Path, batch: Path | None) -> dict[str, float]:
    """`valuedata run` on `world` (the weekly_refit job), or with `batch` the nightly job on it."""
    from pipelines.run import run_pipeline
    from valuedata.config import Settings

    outcome = run_pipeline(Settings.resolve(world, warehouse, warehouse.parent / "dashboards", batch_dir=batch),
                           nightly=batch is not None)
    if not outcome.success:
        raise SystemExit(outcome.failure)
    return {"plan": " | ".join(line.strip() for line in outcome.summary if "recomputed" in line or "rebuild" in line
                               or line.startswith("models:"))}


PARTS = {"run": whole_run, "ingest": ingest}


def closed_batch(world: Path, folder: Path, changed: int) -> Path:
    """deals.csv with `changed` open deals of the world, now closed: won or lost 30 days after creation."""
    import duckdb

    folder.mkdir(parents=True)
    with duckdb.connect() as conn:
        conn.execute(f"""COPY (
            SELECT * REPLACE (CAST(TRY_CAST(created_at AS DATE) + 30 AS VARCHAR) AS closed_at,
                              CASE WHEN hash(deal_id) % 3 = 0 THEN 'won' ELSE 'lost' END AS outcome)
            FROM read_csv('{world / "deals.csv"}', all_varchar = true)
            WHERE lower(outcome) = 'open' AND TRY_CAST(created_at AS DATE) IS NOT NULL
            ORDER BY hash(deal_id) LIMIT {changed}) TO '{folder / "deals.csv"}' (HEADER)""")
    return folder


def measure(part: str, *args: Path) -> dict:
    """One part in a child process: its wall time (start-up included) and peak RSS."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", part, *map(str, args)], stdout=subprocess.PIPE,
                             text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"{part} failed (status {status})")
    return {"seconds": time.perf_counter() - started, "peak_rss_bytes": usage.ru_maxrss * 1024,
            "stages": json.loads(output.splitlines()[-1]) if output.strip() else {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--world", type=Path, help="input folder of the full run (default: generated, --deals deals)")
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals in the generated world")
    parser.add_argument("--changed", type=int, default=1000, help="open deals that close in the nightly export")
    parser.add_argument("--part", choices=PARTS, default="run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        world, warehouse, *batch = args.paths
        print(json.dumps(PARTS[args.child](world, warehouse, batch[0] if batch else None)))
        return
    if args.world is None:
        sys.path.insert(0, str(HERE))
        from ingest import ensure_data

        args.world = ensure_data(args.deals, 7)
    with tempfile.TemporaryDirectory(prefix="valuedata-delta-") as scratch:
        work = Path(scratch)
        world = work / "world"
        shutil.copytree(args.world, world)
        batch = closed_batch(world, work / "batch", args.changed)
        os.environ.setdefault("DAGSTER_HOME", str(work))  # the runs record into a Dagster instance of their own
        (work / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        full_db = work / "full" / "valuedata.duckdb"
        full_db.parent.mkdir()
        results = {"full": measure(args.part, world, full_db)}
        delta_db = full_db
        if args.part == "ingest":  # the ingest writes in place; a run publishes a new file anyway
            delta_db = work / "delta.duckdb"
            shutil.copyfile(full_db, delta_db)
        results["delta"] = measure(args.part, world, delta_db, batch)
    load = os.getloadavg()[0]
    for name, r in results.items():
        print(f"{name:>6}: {r['seconds']:6.1f} s   peak RSS {r['peak_rss_bytes'] / 2**30:5.2f} GiB   "
              f"({r['stages'].pop('plan')})")
        if r["stages"]:
            print("        " + ", ".join(f"{stage} {s:.2f}s" for stage, s in r["stages"].items()))
    ratio = results["delta"]["seconds"] / results["full"]["seconds"]
    print(f"ratio delta / full ({args.part}, {args.changed:,} changed deals): {ratio:.3f} (target <= 0.2)   "
          f"load average {load:.1f}")


if __name__ == "__main__":
    main()
