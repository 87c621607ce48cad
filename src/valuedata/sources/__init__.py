"""Turn real CRM exports (Salesforce, HubSpot, any CSV via a mapping file) into the native input folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from valuedata.errors import InputError, Problem
from valuedata.sources import hubspot, mapping, native, salesforce

SOURCES = ("native", "salesforce", "hubspot")


@dataclass
class PreparedInput:
    """A native input folder, what was read to make it, and what the user should know."""

    dir: Path
    source_audit: pl.DataFrame = field(default_factory=lambda: native.audit_frame([]))
    notes: list[str] = field(default_factory=list)


def prepare_input(input_dir: Path, source: str, work_dir: Path) -> PreparedInput:
    """The native folder for `input_dir`, converting a `salesforce`/`hubspot`/mapping-file export into `work_dir`."""
    input_dir, work_dir = Path(input_dir), Path(work_dir)
    if source == "native":
        return PreparedInput(input_dir)
    if not input_dir.is_dir():
        raise InputError([Problem(str(input_dir), "folder", "does not exist",
                                  "pass --input DIR pointing at the folder that holds the export")])
    if source == "salesforce":
        converted, maps_dir = salesforce.convert(input_dir), input_dir / "maps"
    elif source == "hubspot":
        converted, maps_dir = hubspot.convert(input_dir), input_dir / "maps"
    elif Path(source).suffix.lower() in (".yaml", ".yml"):
        converted, maps_dir = mapping.convert(input_dir, Path(source))
    else:
        raise InputError([Problem("--source", source, "is not a known source",
                                  f"use {', '.join(SOURCES)}, or the path of a mapping .yaml file")])
    out, notes = native.write(converted, maps_dir, work_dir)
    notes = converted.notes + native.missing_required_note(converted.deals) + notes
    return PreparedInput(out, native.audit_frame(converted.audit), notes)


__all__ = ["SOURCES", "PreparedInput", "prepare_input"]
