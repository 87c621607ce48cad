"""Shared fixtures: small input folders on disk, the real CLI in a subprocess, warehouse reads, and worlds
that the real pipeline builds once per test session for every test (and every xdist worker) to read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from pipelines.run import INSTANCE_SETTINGS, RunOutcome, run_pipeline
from valuedata.config import Settings
from valuedata.ingest import steps
from valuedata.warehouse.lifecycle import connect_staging

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
VALUEDATA = Path(sys.executable).parent / "valuedata"


# The session's runs keep their event logs in memory, as Dagster's own test instances do: a small run then takes
# 3 s instead of 4 (its events are not written to SQLite one connection at a time). Recording into a real
# SQLite instance is tested with `sqlite_dagster_home`.
SESSION_INSTANCE = INSTANCE_SETTINGS + ("event_log_storage:\n  module: dagster._core.storage.event_log\n"
                                        "  class: InMemoryEventLogStorage\n")


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory) -> Path:
    """Runs record into a Dagster instance of the test session, not the repository's .dagster_home/."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(SESSION_INSTANCE)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@pytest.fixture
def sqlite_dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Dagster instance of the test's own that stores everything in SQLite, as `valuedata run` sets one up."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_SETTINGS)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture(scope="session", autouse=True)
def run_defaults(tmp_path_factory) -> None:
    """A run that names no dashboards folder writes into the session's temporary folder, not the repository's
    dashboards/out/. Runs skip the dashboards' PNG export (kaleido drives a Chromium for every chart) unless a
    test asks for it: test_dashboards.py::test_png_export_writes_every_chart_and_redraws_only_what_changed
    checks the export."""
    os.environ["VALUEDATA_DASHBOARDS"] = str(tmp_path_factory.mktemp("dashboards"))
    os.environ.setdefault("VALUEDATA_DASHBOARD_PNG", "0")


@pytest.fixture
def mini_input(tmp_path: Path) -> Path:
    """A copy of tests/data/mini (one map, one bad row per rule) that a test may edit."""
    target = tmp_path / "input"
    shutil.copytree(DATA / "mini", target)
    return target


def run_cli(*args: str, cwd: Path = REPO, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the installed `valuedata` command and capture its output."""
    return subprocess.run([str(VALUEDATA), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def query(warehouse: Path, sql: str) -> list[tuple]:
    """Rows of a read-only query against a published warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def run_ok(input_dir: Path, warehouse: Path, batch: Path | None = None, *, full: bool = False,
           nightly: bool = False) -> RunOutcome:
    """A pipeline run in process that must succeed (dashboards beside the warehouse); `batch` a folder of new
    exports, `full` a full rebuild, `nightly` the nightly job."""
    settings = Settings.resolve(input_dir, warehouse, warehouse.parent / "dashboards", batch_dir=batch)
    outcome = run_pipeline(settings, full_rebuild=full, nightly=nightly)
    assert outcome.success, outcome.failure
    return outcome


def ingest(input_dir: Path, db: Path) -> Path:
    """The real ingest alone (maps, raw, checks, core, quarantine, reconciliation) into a DuckDB file: for tests
    of what loads, without the analyses and dashboards of a whole run."""
    with connect_staging(db) as conn:
        steps.ingest_folder(conn, input_dir, "test")
    return db


class Worlds:
    """Folders built once per test session and shared by every xdist worker: the first worker to ask for a
    name builds it under a file lock, the others wait and then read the same folder. Tests must not write
    into a shared folder; `World.copy` (or `copy_warehouse`) gives a test its own."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def get(self, name: str, build: Callable[[Path], None]) -> Path:
        """The folder `build` fills for this name, built now if no worker has built it yet."""
        folder, done = self.root / name, self.root / f"{name}.done"
        with FileLock(self.root / f"{name}.lock"):
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)  # what a build that failed midway left
                build(folder)
                done.touch()
        return folder


@pytest.fixture(scope="session")
def worlds(tmp_path_factory) -> Worlds:
    """The session's shared worlds; under xdist in the folder the workers' temporary folders share."""
    base = tmp_path_factory.getbasetemp()
    return Worlds((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "worlds")


@dataclass(frozen=True)
class World:
    """An input folder run through the pipeline: its published warehouse and dashboards."""

    input_dir: Path
    warehouse: Path
    dashboards: Path

    def copy(self, target: Path) -> "World":
        """The same world in a folder of a test's own, for a test that runs the pipeline again on it."""
        shutil.copytree(self.input_dir.parent, target)
        return World(target / "input", target / self.warehouse.name, target / self.dashboards.name)

    def copy_warehouse(self, target: Path) -> "World":
        """The world's warehouse in a folder of a test's own, on the shared input folder: a run on it sees the
        files the world loaded, at the paths it loaded them from. For a test that reruns without editing input."""
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.warehouse, target / self.warehouse.name)
        return World(self.input_dir, target / self.warehouse.name, target / self.dashboards.name)


def shared_world(worlds: Worlds, name: str, prepare: Callable[[Path], None], *, nightly_rerun: bool = False) -> World:
    """The shared world `name`: an input folder that `prepare` writes, run through the pipeline in the
    process that builds it (then, with `nightly_rerun`, once more as the nightly job on the unchanged files)."""

    def build(folder: Path) -> None:
        prepare(folder / "input")
        run_ok(folder / "input", folder / "valuedata.duckdb")
        if nightly_rerun:
            run_ok(folder / "input", folder / "valuedata.duckdb", nightly=True)

    folder = worlds.get(name, build)
    return World(folder / "input", folder / "valuedata.duckdb", folder / "dashboards")


@pytest.fixture(scope="session")
def mini_world(worlds: Worlds) -> World:
    """tests/data/mini through the pipeline, once per session. (The worked example's world is
    dashboard_worlds.seeds.)"""
    return shared_world(worlds, "mini", lambda input_dir: shutil.copytree(DATA / "mini", input_dir))
