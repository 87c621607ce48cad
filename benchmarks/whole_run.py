"""Whole-run benchmark: `valuedata run` against the pandas + statsmodels peer (benchmarks/peer.py).

    .venv/bin/python benchmarks/whole_run.py [--deals 1000000] [--seed 7] [--data DIR]

Runs each in its own process on the same input folder (generated once into benchmarks/out/, or --data) and
prints its wall time and peak RSS (from the kernel's accounting of that child process), the seconds of each
stage of the run (its progress log) and the ratio. The warehouse is built from scratch (a fresh file: no
incremental skip). Targets at 1M deals: the run faster than the peer, peak RSS <= 3 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ingest import OUT, ensure_data
from pipelines.run import INSTANCE_SETTINGS

HERE = Path(__file__).parent
STAGE_LINE = re.compile(r"✓ (\S+) \(([\d.]+)s\)")
SHOWN_STAGE_SECONDS = 1.5
RSS_TARGET = 3 * 2**30


def measured(command: list[str], log: Path, env: dict[str, str] | None = None) -> dict:
    """Run a command in its own process (output to `log`): its wall seconds, peak RSS and the load meanwhile."""
    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} failed with exit code {child.returncode}; see {log}")
    return {"seconds": time.perf_counter() - started, "peak_rss_bytes": usage.ru_maxrss * 1024,
            "load": os.getloadavg()[0]}


def valuedata_run(data: Path) -> dict:
    """The whole pipeline on a fresh warehouse, with the seconds of each stage from its progress log."""
    place = OUT / f"whole-run-{data.name}"
    shutil.rmtree(place, ignore_errors=True)
    place.mkdir(parents=True)
    (place / "dagster.yaml").write_text(INSTANCE_SETTINGS)  # the run's own instance, as `valuedata run` makes one
    command = [str(Path(sys.executable).parent / "valuedata"), "run", "--input", str(data),
               "--warehouse", str(place / "valuedata.duckdb"), "--dashboards", str(place / "dashboards")]
    result = measured(command, place / "run.log", env=os.environ | {"DAGSTER_HOME": str(place)})
    stages = {name: float(s) for name, s in STAGE_LINE.findall((place / "run.log").read_text(encoding="utf-8"))}
    return result | {"stages": stages}


def peer_run(data: Path) -> dict:
    return measured([sys.executable, str(HERE / "peer.py"), "--data", str(data)], OUT / f"peer-{data.name}.log")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals to generate (engagements ~5x)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="an existing input folder instead of a generated one")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    data = args.data or ensure_data(args.deals, args.seed)
    ours, peer = valuedata_run(data), peer_run(data)
    for name, r in (("valuedata run", ours), ("peer", peer)):
        print(f"{name:>14}: {r['seconds']:6.1f} s   peak RSS {r['peak_rss_bytes'] / 2**30:5.2f} GiB   "
              f"(load average {r['load']:.1f} on {os.cpu_count()} cores)")
    for stage, seconds in ours["stages"].items():
        if seconds >= SHOWN_STAGE_SECONDS:
            print(f"{'':>16}{stage:<32}{seconds:6.1f} s")
    ratio = ours["seconds"] / peer["seconds"]
    rss = ours["peak_rss_bytes"]
    print(f"ratio valuedata run / peer: {ratio:.2f}x (target < 1.0x)   valuedata peak RSS {rss / 2**30:.2f} GiB "
          f"(target <= 3 GiB: {'met' if rss <= RSS_TARGET else 'NOT met'})")
    (OUT / f"whole_run-{data.name}.json").write_text(json.dumps({"data": str(data), "ratio": ratio, "valuedata": ours,
                                                    "peer": peer}, indent=2))


if __name__ == "__main__":
    main()
