"""PNG export of every chart with kaleido, only when a Chrome/Chromium is installed (never downloads one).

A chart drawn exactly as in the last build is copied from that build's PNGs instead of being drawn again:
`charts.json` beside the PNGs records, per chart, a digest of the figure, the theme, the width and the plotly
and kaleido versions it was drawn with."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from importlib.metadata import version
from pathlib import Path

from valuedata.dashboards.figures import THEME, themed
from valuedata.dashboards.html import Figure

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
WIDTH = 1200
DIGESTS = "charts.json"


def find_browser() -> str | None:
    """BROWSER_PATH if set, else Debian's chromium, else a chromium/chrome on PATH."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"] if os.access(os.environ["BROWSER_PATH"], os.X_OK) else None
    found = [c for c in CANDIDATES if os.access(c, os.X_OK)]
    found += [p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p]
    return found[0] if found else None


def export_png(charts: dict[str, Figure], out_dir: Path, previous: Path | None = None) -> tuple[list[Path], str]:
    """Write name.png per chart (an unthemed figure) into out_dir, copying from `previous` (the last build's PNG
    folder) each chart drawn exactly alike; return the files and a status message for the report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    digests = {name: _digest(fig) for name, fig in charts.items()}
    copied = _copy_unchanged(digests, previous, out_dir)
    to_draw = {name: fig for name, fig in charts.items() if name not in copied}
    problem = _draw(to_draw, out_dir) if to_draw else None
    files = [out_dir / f"{name}.png" for name in charts if (out_dir / f"{name}.png").is_file()]
    (out_dir / DIGESTS).write_text(json.dumps({f.stem: digests[f.stem] for f in files}, indent=1, sort_keys=True))
    if problem and not files:
        return [], problem
    status = (f"PNG export: {len(files)} of {len(charts)} charts written to {out_dir} ({len(files) - len(copied)} "
              f"drawn, {len(copied)} copied from the last build: unchanged).")
    return files, f"{status} {problem}" if problem else status


def _digest(fig: Figure) -> str:
    """What a chart's PNG is drawn from: the figure, the theme, the width and the drawing libraries."""
    drawn_from = [fig, THEME, WIDTH, version("plotly"), version("kaleido")]
    return hashlib.sha256(json.dumps(drawn_from, sort_keys=True, default=str).encode()).hexdigest()


def _copy_unchanged(digests: dict[str, str], previous: Path | None, out_dir: Path) -> set[str]:
    """Copy from `previous` the PNGs whose recorded digest is the chart's; return their names."""
    recorded = previous / DIGESTS if previous else None
    if recorded is None or not recorded.is_file():
        return set()
    try:
        before = json.loads(recorded.read_text())
    except ValueError:  # a damaged record: draw everything again
        return set()
    copied = set()
    for name, digest in digests.items():
        if before.get(name) == digest and (previous / f"{name}.png").is_file():
            shutil.copyfile(previous / f"{name}.png", out_dir / f"{name}.png")
            copied.add(name)
    return copied


def _draw(charts: dict[str, Figure], out_dir: Path) -> str | None:
    """Draw the charts with kaleido; None when it did, else why not."""
    browser = find_browser()
    if browser is None:
        return ("PNG export skipped: no Chrome/Chromium found (install Debian's `chromium` package or set "
                "BROWSER_PATH); the HTML pages are complete without it.")
    import kaleido

    specs = [{"fig": themed(fig), "path": out_dir / f"{name}.png",
              "opts": {"format": "png", "width": WIDTH, "height": fig["layout"]["height"]}}
             for name, fig in charts.items()]
    try:
        kaleido.write_fig_from_object_sync(specs, kopts={"path": browser, "mathjax": False})
    except Exception as exc:  # noqa: BLE001 - a failed export must not fail the dashboards
        return f"PNG export failed with {browser} ({type(exc).__name__}: {exc}); the HTML pages are complete."
    return None
