"""Warehouses built by the real pipeline for the dashboard tests, once per world per test session.

`seeds`: the worked example (planted drivers, reps who differ, a chance look-alike, three currencies, broken
rows) with markup injected into a map item, a rep name, an account and a contact title. `noise`: a generated
world whose outcomes are coin flips (reps do not differ, no model beats the base rate), every rep in a team of
their own (more teams than the team filter shows), run twice on unchanged files so that its quarantined rows
come from an earlier run.

Under pytest-xdist every worker asks for the same worlds: the first builds each one under a lock in the
session's shared temporary folder, the others wait and read it. Tests read the warehouses; a test that writes
copies the file first.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.run import run_pipeline
from valuedata.config import Settings
from valuedata.generate import generate

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SCRIPT_ITEM = "<script>window.__pwned=1</script>Changeovers & small batches"
SCRIPT_REP = "<img src=x onerror=window.__pwned=1>Mallory"
SCRIPT_ACCOUNT = "<b>Boss</b> Industries"


@dataclass(frozen=True)
class World:
    """A published warehouse, the dashboards the pipeline wrote from it, and its input folder."""

    warehouse: Path
    site: Path
    input_dir: Path


def _world(root: Path) -> World:
    return World(root / "valuedata.duckdb", root / "site", root / "input")


def _run(world: World, times: int = 1) -> None:
    settings = Settings.resolve(world.input_dir, world.warehouse, world.site, "native")
    for _ in range(times):
        outcome = run_pipeline(settings)
        assert outcome.success, outcome.failure


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def build_seeds(world: World) -> None:
    """The seeds with markup in a map item's text, a rep's name, an account name and a frequent unmapped
    contact title, through the real pipeline."""
    shutil.copytree(SEEDS, world.input_dir, ignore=shutil.ignore_patterns("_truth"))
    folder = world.input_dir
    _replace(folder / "maps/industrial-controls.yaml", '"Changeovers take too long for small batches"',
             json.dumps(SCRIPT_ITEM))
    _replace(folder / "reps.csv", "Ana García", SCRIPT_REP)
    _replace(folder / "deals.csv", "Westgate Precision Parts, Inc.", SCRIPT_ACCOUNT)
    _replace(folder / "engagements.csv", ",IT Director,", ",<b>IT Director</b>,")
    _run(world)


def build_noise(world: World) -> None:
    """A coin-flip world with broken rows and one team per rep, run twice on unchanged files."""
    generate(world.input_dir, deals=2000, seed=42, world="noise", bad_rows=10)
    reps = world.input_dir / "reps.csv"
    with reps.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["team"] = f"Team {row['rep_id']}"
    with reps.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _run(world, times=2)


def shared_world(name: str, build: Callable[[World], None], tmp_path_factory) -> World:
    """The world `name`, built by `build` once per test session (shared by the xdist workers under a lock)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    world = _world(shared / f"dashboard-world-{name}")
    done = world.warehouse.with_name("BUILT")
    with open(shared / f"dashboard-world-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(world.input_dir.parent, ignore_errors=True)  # left by a build that failed
            world.input_dir.parent.mkdir(parents=True)
            build(world)
            done.touch()
    return world


@pytest.fixture(scope="session")
def seeds(tmp_path_factory) -> World:
    return shared_world("seeds", build_seeds, tmp_path_factory)


@pytest.fixture(scope="session")
def noise(tmp_path_factory) -> World:
    return shared_world("noise", build_noise, tmp_path_factory)
