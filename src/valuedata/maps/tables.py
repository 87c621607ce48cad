"""Flatten validated value maps into the warehouse's map tables."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from valuedata.maps.models import ValueMap

ITEM_SCHEMA = {"map_id": pl.String, "role_id": pl.String, "kind": pl.String, "item_id": pl.String,
               "text": pl.String, "impact": pl.Boolean, "priority": pl.Int32, "position": pl.Int32,
               "keywords": pl.List(pl.String)}
LINK_SCHEMA = {"map_id": pl.String, "from_kind": pl.String, "from_id": pl.String, "relation": pl.String,
               "to_kind": pl.String, "to_id": pl.String}


def map_frames(maps: list[ValueMap]) -> dict[str, pl.DataFrame]:
    """The maps as frames: value_maps, value_map_roles, value_map_items, value_map_links."""
    return {
        "value_maps": _maps_frame(maps),
        "value_map_roles": _roles_frame(maps),
        "value_map_items": _items_frame(maps),
        "value_map_links": _links_frame(maps),
    }


def _maps_frame(maps: list[ValueMap]) -> pl.DataFrame:
    rows = [{"map_id": m.map_id, "name": m.name, "segment": m.segment, "version": m.version,
             "file": m.source_file, "sha256": _sha256(m.source_file), "roles": len(m.roles)} for m in maps]
    return pl.DataFrame(rows, schema={"map_id": pl.String, "name": pl.String, "segment": pl.String,
                                      "version": pl.String, "file": pl.String, "sha256": pl.String,
                                      "roles": pl.Int32})


def _roles_frame(maps: list[ValueMap]) -> pl.DataFrame:
    rows = [{"map_id": m.map_id, "segment": m.segment, "role_id": r.role_id, "title": r.title,
             "department": r.department, "level": r.level, "key_player": r.key_player,
             "title_patterns": [p.strip().lower() for p in r.title_patterns if p.strip()], "position": i}
            for m in maps for i, r in enumerate(m.roles)]
    return pl.DataFrame(rows, schema={"map_id": pl.String, "segment": pl.String, "role_id": pl.String,
                                      "title": pl.String, "department": pl.String, "level": pl.String,
                                      "key_player": pl.Boolean, "title_patterns": pl.List(pl.String),
                                      "position": pl.Int32})


def _items_frame(maps: list[ValueMap]) -> pl.DataFrame:
    rows = []
    for m in maps:
        for r in m.roles:
            groups = [("objective", r.objectives), ("metric", r.metrics), ("strategy", r.strategies),
                      ("issue", r.issues), ("value_proposition", r.value_propositions),
                      ("question", r.questions)]
            for kind, items in groups:
                for position, item in enumerate(items):
                    text = item.statement if kind == "value_proposition" else item.text
                    rows.append({"map_id": m.map_id, "role_id": r.role_id, "kind": kind, "item_id": item.id,
                                 "text": text, "impact": item.impact, "priority": item.priority,
                                 "position": position,
                                 "keywords": [k.strip().lower() for k in item.keywords if k.strip()]})
    return pl.DataFrame(rows, schema=ITEM_SCHEMA)


def _links_frame(maps: list[ValueMap]) -> pl.DataFrame:
    rows = []
    for m in maps:
        for r in m.roles:
            rows += [{"map_id": m.map_id, "from_kind": "value_proposition", "from_id": vp.id,
                      "relation": "addresses", "to_kind": "issue", "to_id": issue}
                     for vp in r.value_propositions for issue in vp.addresses]
            rows += [{"map_id": m.map_id, "from_kind": "question", "from_id": q.id,
                      "relation": "uncovers", "to_kind": "issue", "to_id": issue}
                     for q in r.questions for issue in q.uncovers]
    return pl.DataFrame(rows, schema=LINK_SCHEMA)


def _sha256(file: str | None) -> str | None:
    return hashlib.sha256(Path(file).read_bytes()).hexdigest() if file else None
