"""Ingest benchmark: valuedata's ingest + validation + coverage against a bare DuckDB read_csv load.

    .venv/bin/python benchmarks/ingest.py [--deals 1000000] [--seed 7]

Generates the dataset once (kept in benchmarks/out/), then runs each contender in its own process
(so peak RSS is its own) on a fresh DuckDB file, and prints times, peak memory and the ratio:
  bare       DuckDB alone: read_csv of the three files into tables;
  floor      the bare load plus each deal's coverage lists, nothing checked: a lower bound for any
             ingest that answers coverage;
  valuedata  the real ingest (maps, raw layer, checks, core, quarantine, reconciliation, coverage),
             with the seconds of each stage.
Targets: ingest <= 2x the bare load, peak RSS <= 3 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"
TABLES = ("reps", "deals", "engagements")


def bare_load(data: Path, db: Path) -> dict[str, float]:
    """What a user would do with DuckDB alone: read the three CSVs into tables, types auto-detected."""
    import duckdb

    with duckdb.connect(str(db)) as conn:
        for table in TABLES:
            conn.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{data / (table + '.csv')}')")
        conn.execute("CHECKPOINT")
    return {}


def floor_load(data: Path, db: Path) -> dict[str, float]:
    """A lower bound for any ingest that answers coverage: the bare load, then each deal's lists of value
    propositions, issues, questions and roles straight from the loaded text (no validation, no raw copy)."""
    import duckdb

    bare_load(data, db)
    with duckdb.connect(str(db)) as conn:
        lists = ", ".join(f"list_sort(list_distinct(string_split(string_agg(replace(e.{c}, ' ', ''), ';'), ';'))) AS {c}"
                          for c in ("value_propositions", "issues", "questions"))
        conn.execute(f"CREATE TABLE coverage AS SELECT d.deal_id, {lists}, list_sort(list_distinct(list(e.role_id))) "
                     "AS roles, count(e.deal_id) AS engagements FROM deals d LEFT JOIN engagements e USING (deal_id) "
                     "GROUP BY ALL")
        conn.execute("CHECKPOINT")
    return {}


def valuedata_ingest(data: Path, db: Path) -> dict[str, float]:
    """valuedata's ingest: maps, raw, checked core tables, quarantine, reconciliation, coverage, titles.
    Returns the seconds of each stage."""
    from valuedata.ingest import steps
    from valuedata.tagging import build_field_tags
    from valuedata.warehouse.lifecycle import connect_staging
    from valuedata.warehouse.sql import run_sql

    stages: dict[str, float] = {}

    def stage(name: str, work) -> None:
        started = time.perf_counter()
        work()
        stages[name] = time.perf_counter() - started

    with connect_staging(db) as conn:
        stage("maps", lambda: (run_sql(conn, "schemas.sql"), steps.start_run(conn, "bench", data),
                               steps.load_value_maps(conn, data)))
        stage("raw (read + hash)", lambda: steps.load_raw_files(conn, data, "bench"))
        stage("checks + core + quarantine", lambda: steps.load_checked_tables(conn))
        stage("field tags", lambda: build_field_tags(conn))
        stage("deal coverage", lambda: steps.build_deal_coverage(conn))
        stage("unmapped titles", lambda: steps.build_unmapped_titles(conn))
        stage("checkpoint", lambda: conn.execute("CHECKPOINT"))
    return stages


CONTENDERS = {"bare": bare_load, "floor": floor_load, "valuedata": valuedata_ingest}


def measure(name: str, data: Path) -> dict:
    """Run one contender in a child process; return its wall time and peak RSS."""
    db = OUT / f"{name}.duckdb"
    for path in (db, Path(f"{db}.wal")):
        path.unlink(missing_ok=True)
    child = subprocess.run([sys.executable, __file__, "--child", name, "--data", str(data)], check=True,
                           capture_output=True, text=True)
    return {**json.loads(child.stdout.splitlines()[-1]), "db_bytes": db.stat().st_size}


def ensure_data(deals: int, seed: int) -> Path:
    """The benchmark dataset, generated once per (deals, seed)."""
    data = OUT / f"data-{deals}-{seed}"
    if not (data / "engagements.csv").exists():
        from valuedata.generate import generate

        print(f"generating {deals:,} deals into {data} …", flush=True)
        started = time.perf_counter()
        generate(data, deals=deals, seed=seed, progress=lambda m: print(f"  {m}", flush=True))
        print(f"  generated in {time.perf_counter() - started:.1f}s")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals to generate (engagements ~5x)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        started = time.perf_counter()
        stages = CONTENDERS[args.child](args.data, OUT / f"{args.child}.duckdb")
        seconds = time.perf_counter() - started  # the work itself, without interpreter start-up and imports
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({"seconds": seconds, "peak_rss_bytes": peak, "stages": stages}))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    data = ensure_data(args.deals, args.seed)
    sizes = {t: (data / f"{t}.csv").stat().st_size for t in TABLES}
    print(f"input: {sum(sizes.values()) / 1e6:,.0f} MB ({', '.join(f'{t} {s / 1e6:,.0f} MB' for t, s in sizes.items())})")
    results = {name: measure(name, data) for name in CONTENDERS}
    for name, r in results.items():
        print(f"{name:>10}: {r['seconds']:6.1f} s   peak RSS {r['peak_rss_bytes'] / 2**30:5.2f} GiB   "
              f"file {r['db_bytes'] / 1e6:,.0f} MB")
    bare = results["bare"]["seconds"]
    print(f"{'':>12}floor = the bare load + per-deal coverage lists, nothing checked: "
          f"{results['floor']['seconds'] / bare:.2f}x the bare load")
    for name, seconds in results["valuedata"]["stages"].items():
        print(f"{'':>12}{name:<28}{seconds:6.1f} s   {seconds / bare:5.2f}x the bare load")
    ratio = results["valuedata"]["seconds"] / bare
    rss = results["valuedata"]["peak_rss_bytes"] / 2**30
    print(f"ratio valuedata / bare: {ratio:.2f}x (target <= 2.0x)   valuedata peak RSS {rss:.2f} GiB (target <= 3 GiB)")
    (OUT / "ingest.json").write_text(json.dumps({"deals": args.deals, "ratio": ratio, **results}, indent=2))


if __name__ == "__main__":
    main()
