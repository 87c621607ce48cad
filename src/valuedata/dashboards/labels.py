"""Readable names for value-map items: the map's own words for roles, issues, value propositions, questions."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from valuedata.vocabulary import ALL_SEGMENTS

KIND_NAMES = {"role": "Key player", "value_proposition": "Value proposition", "issue": "Issue",
              "question": "Question", "objective": "Objective", "metric": "Metric", "strategy": "Strategy"}
_ACTION = re.compile(r"^\s*(role|value_proposition|issue|question)\s*[:/|=\s]\s*(\S.*?)\s*$")


@dataclass(frozen=True)
class ItemText:
    """An item's text and the title of the role it belongs to (raw, unescaped)."""

    kind: str
    item_id: str
    text: str
    role_title: str | None

    def short(self) -> str:
        """'Key player: Production Manager', 'Question: What does ...'."""
        return f"{KIND_NAMES.get(self.kind, self.kind)}: {self.text}"

    def with_phrase(self) -> str:
        """How a deal having this item reads in words ('Deals where the Production Manager was met')."""
        return {"role": f"Deals where the {self.text} was met",
                "value_proposition": f"Deals where “{self.text}” was presented",
                "issue": f"Deals where the issue “{self.text}” was uncovered",
                "question": f"Deals where “{self.text}” was asked"}.get(self.kind, f"Deals with {self.text}")

    def action(self) -> str:
        """The coaching action in the map's words ('Ask the Production Manager: “...”')."""
        who = f"the {self.role_title}" if self.role_title else "the customer"
        return {"role": f"Meet the {self.text}",
                "value_proposition": f"Present to {who}: “{self.text}”",
                "issue": f"Uncover with {who}: “{self.text}”",
                "question": f"Ask {who}: “{self.text}”"}.get(self.kind, self.text)


class MapText:
    """Looks up item texts in the map that applies to a segment, falling back to any map, then to the id."""

    def __init__(self, tables: dict[str, pl.DataFrame]) -> None:
        self._roles: dict[tuple[str, str], str] = {}
        for row in tables["roles"].iter_rows(named=True):
            self._roles[(row["map_id"], row["role_id"])] = row["title"]
        self._items: dict[tuple[str, str, str], tuple[str, str]] = {}
        for row in tables["items"].iter_rows(named=True):
            self._items[(row["map_id"], row["kind"], row["item_id"])] = (row["text"], row["role_id"])
        self._map_ids = sorted({m for m, _ in self._roles} | {m for m, _, _ in self._items})
        self.segment_maps: dict[str, list[str]] = {}
        for row in tables["maps"].iter_rows(named=True):
            self.segment_maps.setdefault(row["segment"], []).append(row["map_id"])

    def maps_for(self, segment: str | None) -> list[str]:
        """Map ids to search for a segment: its own, then the '*' map, then every other map."""
        own = self.segment_maps.get(segment or "", []) if segment != ALL_SEGMENTS else []
        star = self.segment_maps.get(ALL_SEGMENTS, [])
        return list(dict.fromkeys(own + star + self._map_ids))

    def role_title(self, map_id: str, role_id: str | None) -> str | None:
        """A role's title in one map."""
        return self._roles.get((map_id, role_id or ""))

    def item(self, kind: str, item_id: str, segment: str | None = None) -> ItemText:
        """The text of (kind, item_id) as the segment's map words it; the id itself when no map has it."""
        for map_id in self.maps_for(segment):
            if kind == "role" and (map_id, item_id) in self._roles:
                return ItemText(kind, item_id, self._roles[(map_id, item_id)], None)
            if (map_id, kind, item_id) in self._items:
                text, role_id = self._items[(map_id, kind, item_id)]
                return ItemText(kind, item_id, text, self.role_title(map_id, role_id))
        return ItemText(kind, item_id, item_id.replace("_", " ") if kind == "role" else item_id, None)

    def action(self, next_best_action: str | None, segment: str | None = None) -> str:
        """A next_best_action value ('role:production_manager') as words; unparseable values as they are."""
        if not next_best_action:
            return ""
        match = _ACTION.match(next_best_action)
        if not match:
            return next_best_action
        return self.item(match.group(1), match.group(2), segment).action()
