"""Where valuedata reads and writes: command-line options win over environment variables over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_INPUT = Path("seeds")
DEFAULT_WAREHOUSE = Path("warehouse/valuedata.duckdb")
DEFAULT_DASHBOARDS = Path("dashboards/out")
DEFAULT_SOURCE = "native"


@dataclass(frozen=True)
class Settings:
    """The paths and input source of one run; `batch_dir` holds newly dropped exports (inbox) read after the input folder."""

    input_dir: Path
    warehouse: Path
    dashboards: Path
    source: str
    batch_dir: Path | None = None

    @classmethod
    def resolve(cls, input_dir: Path | None = None, warehouse: Path | None = None,
                dashboards: Path | None = None, source: str | None = None,
                batch_dir: Path | None = None) -> "Settings":
        """Settings from explicit values, else VALUEDATA_* environment variables, else defaults."""
        return cls(
            input_dir=Path(input_dir or os.environ.get("VALUEDATA_INPUT") or DEFAULT_INPUT),
            warehouse=Path(warehouse or os.environ.get("VALUEDATA_WAREHOUSE") or DEFAULT_WAREHOUSE),
            dashboards=Path(dashboards or os.environ.get("VALUEDATA_DASHBOARDS") or DEFAULT_DASHBOARDS),
            source=source or os.environ.get("VALUEDATA_SOURCE") or DEFAULT_SOURCE,
            batch_dir=Path(batch_dir) if batch_dir else None,
        )
