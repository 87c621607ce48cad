"""Warehouses built by the real pipeline for the dashboard tests, once per world per test session.

`seeds`: the worked example (planted drivers, reps who differ, a chance look-alike, three currencies, broken
rows) with markup injected into a map item, a rep name, an account and a contact title. `noise`: a generated
world whose outcomes are coin flips (reps do not differ, no model beats the base rate), every rep in a team of
their own (more teams than the team filter shows), run again by the nightly job on unchanged files so that its
quarantined rows come from an earlier run.

Both are conftest's shared worlds: built once per session for every xdist worker. Tests read the warehouses;
a test that writes copies the file first.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from conftest import World, Worlds, shared_world
from valuedata.generate import generate

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SCRIPT_ITEM = "<script>window.__pwned=1</script>Changeovers & small batches"
SCRIPT_REP = "<img src=x onerror=window.__pwned=1>Mallory"
SCRIPT_ACCOUNT = "<b>Boss</b> Industries"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def prepare_seeds(folder: Path) -> None:
    """The seeds with markup in a map item's text, a rep's name, an account name and a frequent unmapped
    contact title."""
    shutil.copytree(SEEDS, folder, ignore=shutil.ignore_patterns("_truth"))
    _replace(folder / "maps/industrial-controls.yaml", '"Changeovers take too long for small batches"',
             json.dumps(SCRIPT_ITEM))
    _replace(folder / "reps.csv", "Ana García", SCRIPT_REP)
    _replace(folder / "deals.csv", "Westgate Precision Parts, Inc.", SCRIPT_ACCOUNT)
    _replace(folder / "engagements.csv", ",IT Director,", ",<b>IT Director</b>,")


def prepare_noise(folder: Path) -> None:
    """A coin-flip world with broken rows and one team per rep."""
    generate(folder, deals=2000, seed=42, world="noise", bad_rows=10)
    reps = folder / "reps.csv"
    with reps.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["team"] = f"Team {row['rep_id']}"
    with reps.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="session")
def seeds(worlds: Worlds) -> World:
    return shared_world(worlds, "seeds", prepare_seeds)


@pytest.fixture(scope="session")
def noise(worlds: Worlds) -> World:
    return shared_world(worlds, "noise", prepare_noise, nightly_rerun=True)
