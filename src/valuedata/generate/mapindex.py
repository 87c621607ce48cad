"""The worked-example value maps as numpy-friendly indexes."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from importlib.resources import files

import numpy as np
import yaml

from valuedata.vocabulary import TAG_FIELDS

from .spec import DRIVER_BETA, ITEM_RATE_RANGE, KINDS, NEGATIVE_BETA, SegmentSpec


@dataclass
class MapIndex:
    """One map's roles and engagement items, with owner roles and the question -> issue links."""

    spec: SegmentSpec
    raw: bytes
    map_id: str
    segment: str
    ids: dict[str, list[str]]  # kind -> ids, in map order ("role" -> role ids)
    owner: dict[str, np.ndarray]  # kind -> index of the role that owns each item
    key_player: np.ndarray
    uncovers_ptr: np.ndarray  # CSR: issues uncovered by question q are uncovers_idx[ptr[q]:ptr[q + 1]]
    uncovers_idx: np.ndarray

    @property
    def n_roles(self) -> int:
        return len(self.ids["role"])

    def offset(self, kind: str) -> int:
        """First column of ``kind`` in the deal-level indicator matrix (roles, vps, issues, questions)."""
        return sum(len(self.ids[k]) for k in KINDS[: KINDS.index(kind)])

    def col(self, kind: str, item_id: str) -> int:
        return self.offset(kind) + self.ids[kind].index(item_id)

    def columns(self) -> list[tuple[str, str]]:
        return [(kind, item) for kind in KINDS for item in self.ids[kind]]

    def betas(self) -> np.ndarray:
        """The planted log-odds effect of each indicator column (0 for all but drivers and the price-led pitch)."""
        beta = np.zeros(len(self.columns()))
        for kind, item in self.spec.drivers.items():
            beta[self.col(kind, item)] = DRIVER_BETA[kind]
        beta[self.col("value_proposition", self.spec.negative)] = NEGATIVE_BETA
        return beta

    def pitch_owners(self) -> np.ndarray:
        """Index of the role that owns each value proposition then question (the order of ``pitch_rates``)."""
        return np.concatenate([self.owner["value_proposition"], self.owner["question"]])

    def pitch_rates(self) -> np.ndarray:
        """Rate of each value proposition then question when its role is engaged (hash of the id, or planted)."""
        items = self.ids["value_proposition"] + self.ids["question"]
        lo, hi = ITEM_RATE_RANGE
        hashed = [lo + (hi - lo) * (zlib.crc32(i.encode()) % 1000) / 999 for i in items]
        return np.array([self.spec.pitch_rates.get(i, r) for i, r in zip(items, hashed)])


def load_map(spec: SegmentSpec) -> MapIndex:
    """Read one packaged map and index it."""
    raw = (files("valuedata.generate") / "maps" / spec.map_file).read_bytes()
    doc = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    roles = doc["roles"]
    ids: dict[str, list[str]] = {"role": [r["role_id"] for r in roles]}
    owner: dict[str, np.ndarray] = {}
    for kind, key in TAG_FIELDS.items():
        pairs = [(j, item["id"]) for j, r in enumerate(roles) for item in r[key]]
        ids[kind] = [i for _, i in pairs]
        owner[kind] = np.array([j for j, _ in pairs], dtype=np.int64)
    issue_pos = {i: k for k, i in enumerate(ids["issue"])}
    links = [[issue_pos[i] for i in q["uncovers"]] for r in roles for q in r["questions"]]
    ptr = np.cumsum([0] + [len(x) for x in links])
    return MapIndex(
        spec=spec, raw=raw, map_id=doc["map_id"], segment=doc["segment"], ids=ids, owner=owner,
        key_player=np.array([r.get("key_player", True) for r in roles]),
        uncovers_ptr=ptr, uncovers_idx=np.array([i for x in links for i in x], dtype=np.int64),
    )
