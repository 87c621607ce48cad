"""Dashboards benchmark: build every page from a 1M-deal warehouse; how big is the output, how long, how much memory.

    .venv/bin/python benchmarks/dashboards.py [--deals 1000000] [--seed 7] [--warehouse PATH]

Without --warehouse, the generated dataset of benchmarks/ingest.py (benchmarks/out/data-<deals>-<seed>) is run
through the whole pipeline once (`valuedata run`, kept in benchmarks/out/dashboards-wh-<deals>-<seed>/); with it,
an existing warehouse is read (read-only: nothing is written there). The dashboards are then built in a child
process (so the peak RSS is theirs) into benchmarks/out/dashboards-<deals>/, PNG export off, and the script
prints the time, peak RSS, each file's size, the total and the biggest file. plotly.min.js is written once
and shared by every page. Target: the whole set <= 6 MB at 1M deals.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from ingest import OUT, ensure_data

TARGET_BYTES = 6_000_000


def built_warehouse(deals: int, seed: int) -> Path:
    """The warehouse of the benchmark dataset, built once by the real pipeline."""
    root = OUT / f"dashboards-wh-{deals}-{seed}"
    warehouse = root / "valuedata.duckdb"
    if not warehouse.exists():
        data = ensure_data(deals, seed)
        print(f"running the pipeline on {data} …", flush=True)
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "valuedata"), "run", "--input", str(data),
                        "--warehouse", str(warehouse), "--dashboards", str(root / "site")],
                       check=True, env={**os.environ, "VALUEDATA_DASHBOARD_PNG": "0"}, stdout=subprocess.DEVNULL)
        print(f"  pipeline run in {time.perf_counter() - started:.0f} s")
    return warehouse


def build(warehouse: Path, out: Path) -> dict:
    """Build the dashboards from `warehouse` into `out`; the seconds, peak RSS and every file's size."""
    import duckdb

    from valuedata.dashboards import build_dashboards

    started = time.perf_counter()
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        report = build_dashboards(conn, out, png=False)
        deals = conn.execute("SELECT count(*) FROM core.deals").fetchone()[0]
    return {"seconds": time.perf_counter() - started, "peak_rss_bytes": resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss * 1024, "files": {**report.assets, **report.pages}, "notes": report.notes,
        "deals": deals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals to generate (engagements ~5x)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warehouse", type=Path, help="an existing warehouse to read instead")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = OUT / f"dashboards-{args.deals}"
    if args.child:
        print(json.dumps(build(args.child, out)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    warehouse = args.warehouse or built_warehouse(args.deals, args.seed)
    child = subprocess.run([sys.executable, __file__, "--deals", str(args.deals), "--child", str(warehouse)],
                           check=True, capture_output=True, text=True)
    r = json.loads(child.stdout.splitlines()[-1])
    files = sorted(r["files"].items(), key=lambda f: -f[1])
    total = sum(size for _, size in files)
    print(f"warehouse: {warehouse} ({r['deals']:,} deals)")
    print(f"dashboards: {r['seconds']:6.1f} s   peak RSS {r['peak_rss_bytes'] / 2**30:5.2f} GiB   into {out}")
    for name, size in files:
        print(f"{'':>12}{name:<40}{size / 1e3:9,.0f} kB")
    for note in r["notes"]:
        print(f"{'':>12}note: {note}")
    name, size = files[0]
    print(f"total {total / 1e6:.2f} MB (target <= {TARGET_BYTES / 1e6:.0f} MB)   biggest file {name} "
          f"{size / 1e6:.2f} MB   pages without plotly.min.js {(total - r['files']['plotly.min.js']) / 1e6:.2f} MB")
    (OUT / "dashboards.json").write_text(json.dumps({"warehouse": str(warehouse), "total_bytes": total, **r},
                                                    indent=2))


if __name__ == "__main__":
    main()
