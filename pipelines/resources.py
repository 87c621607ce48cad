"""The warehouse resource: one staging copy of the warehouse per run, published at the end."""


import hashlib
import os
import shutil
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import PrivateAttr

from valuedata.config import SETTINGS, Settings
from valuedata.dashboards.build import swap_in
from valuedata.ingest.steps import set_run_variables
from valuedata.warehouse.lifecycle import StagingConnections, Warehouse


class WarehouseResource(ConfigurableResource):
    """Paths of a run (input folder, warehouse file, dashboards folder) and its staging connection.

    `batch_dir` is a folder of newly dropped exports (the inbox sensor sets it), read after the input
    folder so that its rows supersede earlier versions. `full_rebuild` recomputes every core row from the raw
    layer instead of only what the new files change. Empty values fall back to the VALUEDATA_* environment variables, then to the defaults
    (seeds/, warehouse/valuedata.duckdb, dashboards/out/).
    """

    input_dir: str = ""
    warehouse: str = ""
    dashboards: str = ""
    source: str = ""
    batch_dir: str = ""
    full_rebuild: bool = False

    _run_id: str = PrivateAttr(default="")
    _exit: ExitStack = PrivateAttr(default_factory=ExitStack)
    _published: bool = PrivateAttr(default=False)
    _staging: StagingConnections | None = PrivateAttr(default=None)

    @classmethod
    def from_environment(cls) -> "WarehouseResource":
        """The resource with each of its settings bound to its VALUEDATA_* variable, where that is set."""
        bound = {name: EnvVar(SETTINGS[name].env) for name in ("input_dir", "warehouse", "dashboards", "source")
                 if SETTINGS[name].env in os.environ}
        return cls(**bound)

    @property
    def settings(self) -> Settings:
        return Settings.resolve(Path(self.input_dir) if self.input_dir else None,
                                Path(self.warehouse) if self.warehouse else None,
                                Path(self.dashboards) if self.dashboards else None,
                                self.source or None, Path(self.batch_dir) if self.batch_dir else None)

    @property
    def store(self) -> Warehouse:
        return Warehouse(self.settings.warehouse)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._run_id = context.run.run_id if context.run else "adhoc"
        self._exit.enter_context(self.store.build_lock())
        self._staging = StagingConnections(self.store.begin(self._run_id))
        for stale in self.settings.dashboards.parent.glob(f"{self._dashboards_prefix}.*"):  # left by a killed run
            shutil.rmtree(stale, ignore_errors=True)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._staging is not None:
            self._staging.release()
        if not self._published:
            self.store.discard(self._run_id)
        shutil.rmtree(self.export_dir, ignore_errors=True)
        shutil.rmtree(self.dashboards_staging, ignore_errors=True)
        self._exit.close()

    @property
    def dashboards_staging(self) -> Path:
        """Where this run builds the dashboards, beside the published folder (swapped in on publish)."""
        return self.settings.dashboards.with_name(f"{self._dashboards_prefix}.{self._run_id}.building")

    @property
    def _dashboards_prefix(self) -> str:
        """`.<dashboards folder>.<warehouse>`: the build folders of runs of this warehouse, which hold its lock,
        so that a run of another warehouse writing the same dashboards folder is never disturbed."""
        return f".{self.settings.dashboards.name}.{self.store.path.stem}-{_short_hash(self.store.path)}"

    @property
    def export_dir(self) -> Path:
        """Where this run converts a CRM export (--source other than native) into native files."""
        return self.store.staging_path(self._run_id).with_suffix(".input")

    @property
    def native_dir(self) -> Path:
        """The run's input folder in native form: the input folder itself, or the converted export."""
        settings = self.settings
        return settings.input_dir if settings.source == "native" else self.export_dir / "native"

    @property
    def run_id(self) -> str:
        return self._run_id

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to this run's staging warehouse, with run_id / loaded_at set for the SQL."""
        with self._staging.connect() as conn:
            set_run_variables(conn, self._run_id)
            yield conn

    def publish(self) -> Path:
        """Swap this run's staging warehouse in as the published one, then its dashboards (when built)."""
        self._staging.release()
        self.store.publish(self._run_id)
        self._published = True
        if self.dashboards_staging.is_dir():
            swap_in(self.dashboards_staging, self.settings.dashboards)
        return self.store.path


def _short_hash(path: Path) -> str:
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
