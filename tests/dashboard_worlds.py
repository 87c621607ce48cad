"""Warehouses built by the real pipeline for the dashboard tests, once per world per test process.

`seeds`: the worked example (planted drivers, reps who differ, a chance look-alike, three currencies, broken
rows) with markup injected into a map item, a rep name, an account and a contact title. `noise`: a generated
world whose outcomes are coin flips (reps do not differ, no model beats the base rate), run twice on unchanged
files so that its quarantined rows come from an earlier run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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


def _run(folder: Path, root: Path, times: int = 1) -> World:
    settings = Settings(input_dir=folder, warehouse=root / "valuedata.duckdb", dashboards=root / "site",
                        source="native")
    previous = os.environ.get("VALUEDATA_DASHBOARD_PNG")
    os.environ["VALUEDATA_DASHBOARD_PNG"] = "0"
    try:
        for _ in range(times):
            outcome = run_pipeline(settings)
            assert outcome.success, outcome.failure
    finally:
        if previous is None:
            del os.environ["VALUEDATA_DASHBOARD_PNG"]
        else:
            os.environ["VALUEDATA_DASHBOARD_PNG"] = previous
    return World(settings.warehouse, settings.dashboards, folder)


def _inject_markup(folder: Path) -> None:
    """Markup in a map item's text, a rep's name, an account name and a frequent unmapped contact title."""
    edits = [("maps/industrial-controls.yaml", '"Changeovers take too long for small batches"', json.dumps(SCRIPT_ITEM)),
             ("reps.csv", "Ana García", SCRIPT_REP), ("deals.csv", "Westgate Precision Parts, Inc.", SCRIPT_ACCOUNT),
             ("engagements.csv", ",IT Director,", ",<b>IT Director</b>,")]
    for name, old, new in edits:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")


@cache
def seeds() -> World:
    """The seeds, with markup injected, through the real pipeline."""
    root = Path(tempfile.mkdtemp(prefix="vd-seeds-"))
    folder = root / "input"
    shutil.copytree(SEEDS, folder, ignore=shutil.ignore_patterns("_truth"))
    _inject_markup(folder)
    return _run(folder, root)


@cache
def noise() -> World:
    """A coin-flip world with broken rows, run twice on unchanged files."""
    root = Path(tempfile.mkdtemp(prefix="vd-noise-"))
    folder = root / "input"
    generate(folder, deals=2000, seed=42, world="noise", bad_rows=10)
    return _run(folder, root, times=2)
