"""value_map.html: each segment's value map as role → issue → value propositions and questions, by evidence."""

from __future__ import annotations

import polars as pl

from valuedata.vocabulary import ALL_SEGMENTS
from valuedata.dashboards import figures as F
from valuedata.dashboards import queries
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.drivers import evidence_text, is_significant, segment_key
from valuedata.dashboards.html import Chart, Filter, Markup, notice, page, ptext, pwrap
from valuedata.dashboards.labels import KIND_NAMES

LABEL_MAX = 120  # characters of an item shown in its box; longer text goes to the hover
PREFIX = {"value_proposition": "Value prop · ", "question": "Question · "}
LEGEND = [("#1b7f3b", "Significant: goes with winning (darker = stronger)"),
          ("#c0392b", "Significant: goes with losing"), ("#efe6c8", "Estimated, not significant"),
          ("#e6e6e6", "No estimate (the hover says why)")]


class Evidence:
    """Odds ratio and significance per (segment, kind, item): driver_effects, else the playbook."""

    def __init__(self, effects: pl.DataFrame, playbook: pl.DataFrame) -> None:
        self._rows: dict[tuple[str, str, str], dict] = {}
        for row in playbook.iter_rows(named=True):
            self._rows.setdefault((row["segment"], row["kind"], row["item_id"]), row)
        for row in effects.iter_rows(named=True):
            self._rows[(row["segment"], row["kind"], row["item_id"])] = row

    def get(self, segment: str, kind: str, item_id: str) -> dict | None:
        """The segment's own estimate, else the pooled one."""
        return self._rows.get((segment, kind, item_id)) or self._rows.get((ALL_SEGMENTS, kind, item_id))


def build(ctx: Context, effects: pl.DataFrame, cautions: dict) -> Page:
    """The value-map page: the maps of the filter's segments and the '*' map."""
    tables = ctx.tables
    shown = set(ctx.dims.segments) | {ALL_SEGMENTS}
    maps = sorted((m for m in tables["maps"].iter_rows(named=True) if m["segment"] in shown or not ctx.dims.segments),
                  key=lambda m: (m["segment"] == ALL_SEGMENTS, m["segment"]))
    if not maps or tables["items"].is_empty():
        body = [notice("No value map loaded yet (core.value_map_items is missing or empty).")]
        return Page("value_map.html", page("Value maps", "value_map.html", body, charts=[], filters=[]), [],
                    ["value_map: core.value_map_items not loaded yet"])
    evidence = Evidence(effects, ctx.wh.frame("playbook_evidence"))
    notes = [] if not effects.is_empty() else ["value_map: no driver effects yet, maps shown without evidence"]
    variants, options = {}, []
    for m in maps:
        key = segment_key(m["segment"])
        while key in variants:
            key += "+"
        variants[key] = F.value_map(map_nodes(ctx, m, tables, evidence, cautions))
        label = "Any other segment (*)" if m["segment"] == ALL_SEGMENTS else m["segment"]
        options.append((key, f"{label} — {m['name']}"))
    legend = "".join(f'<span><span class="swatch" style="background:{c}"></span>{label}</span>'
                     for c, label in LEGEND)
    chart = Chart("valuemap", "Value map", variants, ["segment"],
                  help="Read left to right: the key players, the issues each one faces, then the value "
                       "propositions that address an issue and the questions that uncover it. Colour: evidence "
                       "from the deals (adjusted odds ratio). ★ marks where our offer has impact, as the map says "
                       "(the same ★ as in the playbooks); ⚠ a look-alike whose effect may be borrowed from another item. Click a box "
                       "to zoom in, "
                       "the path bar to zoom out.", footer=Markup(f'<p class="legend">{legend}</p>'))
    body = [chart.markup()]
    default = queries.ALL if queries.ALL in variants else options[0][0]
    filters = [Filter("segment", "Segment", options, default)]
    return Page("value_map.html", page("Value maps", "value_map.html", body, charts=[chart], filters=filters),
                [chart], notes)


def map_nodes(ctx: Context, m: dict, tables: dict[str, pl.DataFrame], evidence: Evidence,
              cautions: dict) -> list[F.MapNode]:
    """Sunburst nodes of one map: map → role → issue → value propositions / questions."""
    map_id, segment = m["map_id"], m["segment"]
    items = tables["items"].filter(pl.col("map_id") == map_id).sort("position", nulls_last=True)
    roles = tables["roles"].filter(pl.col("map_id") == map_id).sort("position", nulls_last=True)
    links = tables["links"].filter(pl.col("map_id") == map_id)
    root = f"map:{map_id}"
    ids = {"": "", root: "n0"}
    nodes = [F.MapNode("n0", "", f"{m['name']} (segment {segment})",
                       f"<b>{ptext(m['name'])}</b><br>segment {ptext(segment)}", "#dde6ee")]

    def node(path: str, parent: str, kind: str, item_id: str, text: str, impact: object) -> None:
        node_id = ids.setdefault(path, f"n{len(ids)}")
        ev = evidence.get(segment, kind, item_id)
        odds = ev.get("odds_ratio") if ev else None
        significant = bool(ev) and odds is not None and is_significant(ev)
        head = f"<b>{KIND_NAMES[kind]}</b>"
        hover = [head] + ([pwrap(text)] if len(text) > LABEL_MAX else []) + [pwrap(evidence_text(ev))]
        if impact:
            hover.append("<i>★ Where our offer has impact (the map says so)</i>")
        caution = cautions.get((segment, kind, item_id)) or cautions.get((ALL_SEGMENTS, kind, item_id))
        if caution:
            hover.append(f"<b>⚠ {pwrap(caution)}</b>")
        label = ("★ " if impact else "") + ("⚠ " if caution else "") + PREFIX.get(kind, "") + text
        nodes.append(F.MapNode(node_id, ids[parent], label, "<br>".join(hover),
                               F.evidence_color(odds, significant)))

    issue_nodes: dict[str, str] = {}
    for role_id, title in roles.select("role_id", "title").iter_rows():
        role_node = f"{root}/role:{role_id}"
        node(role_node, root, "role", role_id, title, None)
        for r in items.filter((pl.col("role_id") == role_id) & (pl.col("kind") == "issue")).iter_rows(named=True):
            issue_nodes[r["item_id"]] = f"{role_node}/issue:{r['item_id']}"
            node(issue_nodes[r["item_id"]], role_node, "issue", r["item_id"], r["text"], r["impact"])
    for r in items.filter(pl.col("kind").is_in(["value_proposition", "question"])).iter_rows(named=True):
        relation = "addresses" if r["kind"] == "value_proposition" else "uncovers"
        targets = links.filter((pl.col("from_id") == r["item_id"]) & (pl.col("relation") == relation))["to_id"]
        parents = [issue_nodes[t] for t in targets if t in issue_nodes] or [f"{root}/role:{r['role_id']}"]
        for parent in parents:
            node(f"{parent}/{r['kind']}:{r['item_id']}", parent, r["kind"], r["item_id"], r["text"], r["impact"])
    return nodes

