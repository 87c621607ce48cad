"""All benchmarks, one command (`make bench`): ingest against a bare DuckDB load, the whole `valuedata run`
against the pandas + statsmodels peer (wall time, peak RSS, seconds per stage), a nightly run of 1,000 closed
deals against the full run (the delta ratio), the dashboards' size, driver fits and scoring, then the notes
tagger (5 notes a deal).

    .venv/bin/python benchmarks/run.py [--deals 1000000]
"""

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals in the generated dataset")
    args = parser.parse_args()
    for script in ("ingest.py", "whole_run.py", "delta.py", "dashboards.py", "bench_drivers.py", "tagging.py"):
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), "--deals", str(args.deals)], check=True)


if __name__ == "__main__":
    main()
