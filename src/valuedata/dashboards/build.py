"""build_dashboards: write the pages, plotly.min.js (once) and the PNGs, and report what was written."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import plotly.offline

from valuedata.dashboards.export import export_png
from valuedata.dashboards.figures import THEME
from valuedata.dashboards.html import ASSETS, asset, theme_js
from valuedata.dashboards.pages import build_pages
from valuedata.dashboards.queries import WarehouseReader


@dataclass
class DashboardReport:
    """What build_dashboards wrote."""

    out_dir: Path
    pages: dict[str, int]  # page file name -> bytes
    assets: dict[str, int]  # plotly.min.js and the dashboards' own css/js -> bytes
    png_status: str
    png_files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # pages showing "not computed yet"

    @property
    def total_bytes(self) -> int:
        """Size of the whole set (pages + assets, PNGs excluded)."""
        return sum(self.pages.values()) + sum(self.assets.values())

    def summary(self) -> str:
        """Lines for the CLI and the Dagster asset metadata."""
        lines = [f"Dashboards in {self.out_dir} ({self.total_bytes / 1e6:.1f} MB); open "
                 f"{self.out_dir / 'index.html'}"]
        lines += [f"  {name}: {size / 1e3:.0f} kB" for name, size in self.pages.items()]
        lines += [f"  note: {n}" for n in self.notes]
        lines.append(self.png_status)
        return "\n".join(lines)


def build_dashboards(conn: duckdb.DuckDBPyConnection, out_dir: Path, *, png: bool = True,
                     previous: Path | None = None) -> DashboardReport:
    """Build the dashboards from an open warehouse connection into out_dir (created if needed). `previous`: the
    last build's folder, whose PNGs of charts drawn exactly alike are copied rather than drawn again."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cursor = conn.cursor()
    try:
        pages = build_pages(WarehouseReader(cursor))
    finally:
        cursor.close()
    assets = {"plotly.min.js": plotly.offline.get_plotlyjs(), "theme.js": theme_js(THEME),
              **{name: asset(name) for name in ASSETS}}
    asset_sizes = {name: _write(out_dir / name, text) for name, text in assets.items()}
    page_sizes = {p.file: _write(out_dir / p.file, p.html) for p in pages}
    notes = [n for p in pages for n in p.notes]
    if not png:
        return DashboardReport(out_dir, page_sizes, asset_sizes, "PNG export not requested.", [], notes)
    charts = {f"{p.file.removesuffix('.html')}-{c.name}": c.default() for p in pages for c in p.charts}
    files, status = export_png(charts, out_dir / "png", previous / "png" if previous else None)
    return DashboardReport(out_dir, page_sizes, asset_sizes, status, files, notes)


def _write(path: Path, text: str) -> int:
    """Write atomically (a browser never sees half a page); return the size in bytes."""
    data = text.encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return len(data)


def swap_in(built: Path, target: Path) -> None:
    """Replace the folder `target` by the folder `built` beside it (`<name>.building`): the old one is renamed
    aside, the new one renamed in, then the old one removed. A browser never sees a mix of two builds; when
    another build swaps in at the same moment, the last one wins."""
    old = built.with_name(built.name.removesuffix(".building") + ".previous")
    target.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            os.rename(target, old)
        try:
            os.rename(built, target)
            break
        except OSError:
            if not target.exists():
                raise
    shutil.rmtree(old, ignore_errors=True)
