"""HTML assembly with escaping: every piece of data goes through `esc` (markup) or `ptext` (Plotly text)."""

from __future__ import annotations

import html
import json
import textwrap
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import plotly.io as pio

NAV = [("index.html", "Overview"), ("drivers.html", "Drivers"), ("reps.html", "Reps"),
       ("value_map.html", "Value map"), ("open_deals.html", "Open deals"), ("deals.html", "Deals"),
       ("playbooks.html", "Playbooks")]
ASSETS = ("dashboard.css", "dashboard.js", "deals.js")
Figure = dict[str, Any]  # plotly JSON: {"data": [{"type": "scatter", ...}, ...], "layout": {...}}
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


class Markup(str):
    """Text that is already safe HTML (built here from escaped parts)."""


def esc(value: object) -> str:
    """Escape a value for HTML text or a quoted attribute; None becomes ''."""
    if isinstance(value, Markup):
        return value
    return "" if value is None else html.escape(str(value), quote=True)


def ptext(value: object) -> str:
    """Escape a value for Plotly text: Plotly renders some tags (<b>, <a>, <br>) but decodes &lt; &gt; &amp;."""
    return "" if value is None else str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, width: int) -> str:
    """Shorten raw text to `width` characters with an ellipsis (cut before escaping)."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def unique_labels(labels: list[str], ids: list[str], width: int) -> list[str]:
    """Labels cut to `width`, with the id appended where two would read the same (categories must differ)."""
    cut_labels = [cut(label, width) for label in labels]
    seen = {label: cut_labels.count(label) for label in cut_labels}
    return [label if seen[label] == 1 else f"{cut(label, width - len(i) - 3)} ({i})"
            for label, i in zip(cut_labels, ids)]


def pwrap(text: str, width: int = 70) -> str:
    """Raw text wrapped for a Plotly hover label: escaped lines joined by <br>."""
    return "<br>".join(ptext(line) for line in textwrap.wrap(str(text), width) or [""])


def link(href: str, text: str, cls: str = "") -> Markup:
    """An anchor with an escaped href and text."""
    klass = f' class="{esc(cls)}"' if cls else ""
    return Markup(f'<a href="{esc(href)}"{klass}>{esc(text)}</a>')


def drill_href(**params: str) -> str:
    """A drill-down link: deals.html?segment=...&kind=...&item=... or deals.html?rep=..."""
    return "deals.html?" + urlencode(params)


def json_script(element_id: str, obj: object) -> Markup:
    """Data for the page scripts; '<', '>' and '&' are \\u-escaped so no text can close the script element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(f'<script type="application/json" id="{esc(element_id)}">{text}</script>')


def fig_data(fig: Figure) -> Figure:
    """A figure as JSON-ready data, without its template (the page carries the template once)."""
    return {"data": fig["data"], "layout": {k: v for k, v in fig["layout"].items() if k != "template"}}


def theme_js(template: str) -> str:
    """theme.js, written once beside the pages: the Plotly template and config every chart uses."""
    theme = {"template": json.loads(pio.to_json(pio.templates[template], validate=False, remove_uids=False)),
             "config": PLOTLY_CONFIG}
    return f"window.VALUEDATA_THEME = {json.dumps(theme, separators=(',', ':'))};\n"


def compact_variants(variants: dict[str, dict]) -> dict[str, dict]:
    """The first variant in full, the others as {"patch": 1, data, layout} holding only what differs.

    Variants of a chart share their trace structure, so this keeps pages small; a variant whose traces or
    attribute names differ is kept in full. dashboard.js merges patches onto the first variant.
    """
    keys = list(variants)
    base = variants[keys[0]]
    out = {keys[0]: base}
    for key in keys[1:]:
        v = variants[key]
        same = len(v["data"]) == len(base["data"]) and set(v["layout"]) == set(base["layout"]) and all(
            set(t) == set(b) for t, b in zip(v["data"], base["data"]))
        out[key] = {"patch": 1, "data": [{a: x for a, x in t.items() if b[a] != x} for t, b in
                                         zip(v["data"], base["data"])],
                    "layout": {a: x for a, x in v["layout"].items() if base["layout"][a] != x}} if same else v
    return out


def table(headers: list[str], rows: list[list[object]], *, row_attrs: list[dict] | None = None,
          numeric: set[int] | None = None, table_id: str = "", caption: str = "") -> Markup:
    """A sortable table; cells are escaped unless they are Markup; `row_attrs` become data-* attributes."""
    numeric = numeric or set()
    head = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}>{esc(h)}</th>'
                   for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        attrs = "".join(f' data-{esc(k)}="{esc(v)}"' for k, v in (row_attrs[r] if row_attrs else {}).items())
        klass = ' class="filterable"' if row_attrs else ""
        cells = "".join(_cell(v, i in numeric) for i, v in enumerate(row))
        body.append(f"<tr{klass}{attrs}>{cells}</tr>")
    tid = f' id="{esc(table_id)}"' if table_id else ""
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return Markup(f'<div class="table-wrap"><table class="sortable"{tid}>{cap}<thead><tr>{head}</tr></thead>'
                  f'<tbody>{"".join(body)}</tbody></table></div>')


def _cell(value: object, numeric: bool) -> str:
    if isinstance(value, tuple):  # (display, sort value)
        shown, key = value
        return f'<td class="num" data-v="{esc(key)}">{esc(shown)}</td>' if numeric \
            else f'<td data-v="{esc(key)}">{esc(shown)}</td>'
    return f'<td class="num">{esc(value)}</td>' if numeric else f"<td>{esc(value)}</td>"


def notice(text: str) -> Markup:
    """A grey 'not computed yet / not enough data' box."""
    return Markup(f'<div class="notice">{esc(text)}</div>')


@dataclass
class Chart:
    """A chart on a page: its figure variants keyed by the page filters it depends on."""

    name: str
    title: str
    variants: dict[str, Figure]
    dims: list[str] = field(default_factory=list)
    period_axis: bool = False
    help: str = ""
    footer: str = ""  # Markup shown under the chart

    def default(self) -> Figure:
        """The variant shown first (every filter at 'all'); the one exported as PNG."""
        return self.variants.get("|".join(["all"] * len(self.dims))) or next(iter(self.variants.values()))

    def markup(self) -> Markup:
        """The chart's placeholder; dashboard.js renders the selected variant into it."""
        height = self.default()["layout"]["height"]
        helptext = f'<p class="help">{esc(self.help)}</p>' if self.help else ""
        return Markup(f'<section class="card"><h2>{esc(self.title)}</h2>{helptext}'
                      f'<div class="chart" id="chart-{esc(self.name)}" data-chart="{esc(self.name)}" '
                      f'style="height:{height}px"></div>{self.footer}</section>')


@dataclass
class Filter:
    """A page filter: a dimension, its label and its options (value, label)."""

    dim: str
    label: str
    options: list[tuple[str, str]]
    default: str = "all"


def page(title: str, file: str, body: list[str], *, charts: list[Chart], filters: list[Filter],
         extra: dict | None = None, periods: dict | None = None, scripts: tuple[str, ...] = ()) -> str:
    """A whole page: navigation, filter bar, body, chart data and the scripts (all relative, offline)."""
    nav = "".join(f'<a href="{href}"{" class=active" if href == file else ""}>{esc(label)}</a>'
                  for href, label in NAV)
    data = {"filters": [{"dim": f.dim, "label": f.label, "options": f.options, "default": f.default}
                        for f in filters],
            "charts": {c.name: {"dims": c.dims, "period_axis": c.period_axis,
                                "variants": compact_variants({k: fig_data(v) for k, v in c.variants.items()})}
                       for c in charts},
            "periods": periods or {}}
    data.update(extra or {})
    script_tags = "".join(f'<script src="{s}"></script>'
                          for s in ("plotly.min.js", "theme.js", "dashboard.js", *scripts))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · valuedata</title>
<link rel="stylesheet" href="dashboard.css">
</head><body>
<header><span class="brand">valuedata</span><nav>{nav}</nav></header>
<main>
<h1>{esc(title)}</h1>
<div id="filters" class="filters"></div>
{"".join(body)}
</main>
{json_script("dashboard-data", data)}
{script_tags}
</body></html>
"""


def asset(name: str) -> str:
    """The text of a static asset shipped with the package."""
    return resources.files("valuedata.dashboards").joinpath("static", name).read_text(encoding="utf-8")
