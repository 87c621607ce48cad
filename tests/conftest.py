"""Shared fixtures: small input folders on disk, the real CLI in a subprocess, warehouse reads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
VALUEDATA = Path(sys.executable).parent / "valuedata"


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory) -> Path:
    """Runs record into a Dagster instance of the test session, not the repository's .dagster_home/."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@pytest.fixture(scope="session", autouse=True)
def no_png_export() -> None:
    """Runs in tests skip the dashboards' PNG export (kaleido drives a Chromium for every chart), unless a test
    asks for it: test_dashboards.py::test_png_export_writes_every_chart checks the export itself."""
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
