"""PNG export of every chart with kaleido, only when a Chrome/Chromium is installed (never downloads one)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from valuedata.dashboards.html import Figure

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
WIDTH = 1200


def find_browser() -> str | None:
    """BROWSER_PATH if set, else Debian's chromium, else a chromium/chrome on PATH."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"] if os.access(os.environ["BROWSER_PATH"], os.X_OK) else None
    found = [c for c in CANDIDATES if os.access(c, os.X_OK)]
    found += [p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p]
    return found[0] if found else None


def export_png(figures: dict[str, Figure], out_dir: Path) -> tuple[list[Path], str]:
    """Write name.png per figure into out_dir; return the files and a status message for the report."""
    browser = find_browser()
    if browser is None:
        return [], ("PNG export skipped: no Chrome/Chromium found (install Debian's `chromium` package or set "
                    "BROWSER_PATH); the HTML pages are complete without it.")
    import kaleido

    out_dir.mkdir(parents=True, exist_ok=True)
    specs = [{"fig": fig, "path": out_dir / f"{name}.png",
              "opts": {"format": "png", "width": WIDTH, "height": fig["layout"]["height"]}}
             for name, fig in figures.items()]
    try:
        kaleido.write_fig_from_object_sync(specs, kopts={"path": browser, "mathjax": False})
    except Exception as exc:  # noqa: BLE001 - a failed export must not fail the dashboards
        return [], f"PNG export failed with {browser} ({type(exc).__name__}: {exc}); the HTML pages are complete."
    files = [s["path"] for s in specs if s["path"].is_file()]
    return files, f"PNG export: {len(files)} of {len(specs)} charts written to {out_dir} using {browser}."
