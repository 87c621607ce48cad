"""Benchmark: compute_drivers + score_open_deals on a synthetic 1M-deal frame (60 items, 2 segments).

Run: .venv/bin/python benchmarks/bench_drivers.py [--deals 1000000] [--seed 1]
Target: <= 60 s for both steps on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa
from scipy import special

from valuedata.analysis.drivers import compute_drivers
from valuedata.analysis.scoring import score_open_deals

KINDS = {"role": 6, "value_proposition": 20, "issue": 14, "question": 20}
LISTS = {"role": "roles_engaged", "value_proposition": "value_propositions_presented", "issue": "issues_uncovered", "question": "questions_asked"}
SEGMENTS = ("discrete", "process")
PLANTED = {("role", "r0"): 0.8, ("value_proposition", "v3"): 0.6, ("question", "q1"): -0.5, ("issue", "i2"): 0.3}


def item_ids() -> list[tuple[str, str]]:
    return [(kind, f"{kind[0]}{i}") for kind, count in KINDS.items() for i in range(count)]


def map_tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two maps (one per segment) holding the same 60 item ids."""
    ids = item_ids()
    roles = pl.DataFrame(
        [{"map_id": f"map-{s}", "segment": s, "role_id": i, "title": f"Role {i}", "key_player": n < 4, "level": "manager", "department": "Ops"}
         for s in SEGMENTS for n, (k, i) in enumerate(ids) if k == "role"]
    )
    items = pl.DataFrame(
        [{"map_id": f"map-{s}", "role_id": f"r{n % 6}", "kind": k, "item_id": i, "text": f"Text of {i}", "impact": True, "priority": 1}
         for s in SEGMENTS for n, (k, i) in enumerate(ids) if k != "role"]
    )
    return items, roles


def list_column(presence: np.ndarray, ids: list[str]) -> pl.Series:
    """A List[Utf8] column from a boolean (deals x items) matrix, built through Arrow offsets."""
    rows, cols = np.nonzero(presence)
    offsets = np.concatenate([[0], np.cumsum(presence.sum(axis=1))]).astype(np.int64)
    values = pa.array(np.array(ids, dtype=object)[cols], pa.large_string())
    return pl.from_arrow(pa.LargeListArray.from_arrays(pa.array(offsets), values))


def make_deals(n: int, seed: int) -> pl.DataFrame:
    """Deals with correlated item presence and an outcome from planted effects."""
    rng = np.random.default_rng(seed)
    ids = item_ids()
    diligence = rng.normal(size=n).astype(np.float32)
    base = rng.uniform(-1.5, 0.5, len(ids)).astype(np.float32)
    presence = rng.random((n, len(ids)), dtype=np.float32) < special.expit(base + 0.7 * diligence[:, None])
    effects = np.array([PLANTED.get(key, 0.0) for key in ids])
    segment = rng.integers(0, 2, n)
    amount = np.exp(rng.normal(10, 1, n))
    eta = -0.6 + presence @ effects + 0.25 * (np.log1p(amount) - 10) + 0.3 * segment
    outcome = np.where(rng.random(n) < special.expit(eta), "won", "lost")
    created = np.datetime64(date(2022, 1, 1)) + np.sort(rng.integers(0, 1095, n)).astype("timedelta64[D]")
    is_open = np.arange(n) >= int(n * 0.85)
    closed = np.where(is_open, np.datetime64("NaT"), created + rng.integers(15, 150, n).astype("timedelta64[D]"))
    columns = {
        column: list_column(presence[:, [j for j, (k, _) in enumerate(ids) if k == kind]], [i for k, i in ids if k == kind])
        for kind, column in LISTS.items()
    }
    return pl.DataFrame(
        {
            "deal_id": pl.Series(np.arange(n)).cast(pl.Utf8),
            "rep_id": pl.Series(rng.integers(0, 400, n)).cast(pl.Utf8),
            "segment": np.array(SEGMENTS)[segment],
            "map_id": np.array([f"map-{s}" for s in SEGMENTS])[segment],
            "outcome": np.where(is_open, "open", outcome),
            "amount": np.where(rng.random(n) < 0.03, np.nan, amount),
            "created_at": created,
            "closed_at": closed,
            **columns,
            "key_role_coverage": presence[:, :4].mean(axis=1),
            "engagements": rng.integers(1, 30, n),
            "lead_source": rng.choice(["web", "partner", "event", "outbound", "other"], n),
            "region": rng.choice(["NA", "EMEA", "APAC", "LATAM"], n),
            "employees": rng.lognormal(6, 1.2, n),
        },
        nan_to_null=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    deals = make_deals(args.deals, args.seed)
    items, roles = map_tables()
    print(f"built {deals.height:,} deals ({(deals['outcome'] != 'open').sum():,} closed) in {time.perf_counter() - start:.1f} s")

    start, cpu = time.perf_counter(), time.process_time()
    effects, quality, models = compute_drivers(deals, items, roles, ["lead_source", "region", "employees"])
    drivers_seconds = time.perf_counter() - start
    start = time.perf_counter()
    scores = score_open_deals(deals, models, items, roles)
    scoring_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu

    with pl.Config(tbl_cols=12, tbl_width_chars=160):
        print(quality.select("segment", "closed_deals", "items_in_model", "auc_cv", "brier_cv", "baseline_brier", "calibration", "folds"))
    planted = effects.filter(pl.col("segment") == "*", pl.struct("kind", "item_id").is_in([{"kind": k, "item_id": i} for k, i in PLANTED]))
    print(planted.select("kind", "item_id", "odds_ratio", "q_value", "significant"))
    print(f"significant items ('*'): {effects.filter(segment='*')['significant'].sum()} of {len(item_ids())} (planted: {len(PLANTED)})")
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"compute_drivers: {drivers_seconds:.1f} s | score_open_deals ({scores.height:,} open deals): {scoring_seconds:.1f} s | "
          f"total {drivers_seconds + scoring_seconds:.1f} s wall, {cpu_seconds:.1f} s CPU | peak RSS {peak_gb:.1f} GB | "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
