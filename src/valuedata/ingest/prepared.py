"""The input folder of a run in native form: as given, or converted from a CRM export."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def native_input(input_dir: Path, source: str = "native") -> Iterator[Path]:
    """Yield a folder in the contract's native form; a converted export lives only inside the block."""
    if source == "native":
        yield input_dir
        return
    from valuedata.sources import prepare_input

    with tempfile.TemporaryDirectory(prefix="valuedata-input-") as work:
        yield prepare_input(input_dir, source, Path(work)).dir
