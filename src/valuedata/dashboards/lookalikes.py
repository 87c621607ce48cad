"""Look-alikes: significant drivers whose evidence may be borrowed from another item, said next to the item.

A driver is flagged when its adjusted odds ratio is much weaker than the raw one (most of the raw difference
is explained by the other items on the deal), or when it mostly travels with a stronger significant driver of
the same segment (phi correlation of their presence in closed deals at least TRAVELS_WITH) that the map does not
link it to. Linked items travel together by design — a question and the issue it uncovers, a value proposition
and the issue it addresses, an item and its role — so that alone is no sign of a look-alike.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from valuedata.analysis.features import ATTRIBUTE
from valuedata.dashboards.fmt import ratio
from valuedata.dashboards.labels import MapText
from valuedata.dashboards.queries import WarehouseReader

WEAKER = 0.4  # adjusted log odds ratio below 40% of the raw one (or reversed) = "much weaker"
TRAVELS_WITH = 0.4  # phi correlation with a stronger driver that counts as "mostly travels with it"
MAX_PAIRED = 64  # significant drivers per segment checked for travelling together (strongest first)
PHI_DEALS = 200_000  # beyond this many deals, correlations are read in a deterministic sample of about this size

LOOKALIKE = "look-alike"  # how every caution starts
Key = tuple[str, str, str]  # (segment, kind, item_id)


def raw_odds_ratio(win_with: float | None, win_without: float | None) -> float | None:
    """The unadjusted odds ratio of two win rates; None when either rate is 0, 1 or unknown."""
    if win_with is None or win_without is None or not (0 < win_with < 1 and 0 < win_without < 1):
        return None
    return (win_with / (1 - win_with)) / (win_without / (1 - win_without))


def cautions(wh: WarehouseReader, effects: pl.DataFrame, text: MapText,
             tables: dict[str, pl.DataFrame]) -> dict[Key, str]:
    """A caution in words for each flagged significant driver, keyed by (segment, kind, item_id).

    `tables` are the value-map tables (queries.map_tables): their links say which items travel together by design.
    """
    drivers = effects.filter(pl.col("significant").fill_null(False) & (pl.col("kind") != ATTRIBUTE)
                             & pl.col("odds_ratio").is_not_null())
    out: dict[Key, str] = {}
    strength = {}
    for r in drivers.iter_rows(named=True):
        key = (r["segment"], r["kind"], r["item_id"])
        strength[key] = abs(math.log(r["odds_ratio"]))
        raw = raw_odds_ratio(r["win_rate_with"], r["win_rate_without"])
        if raw is not None and raw != 1 and math.log(r["odds_ratio"]) / math.log(raw) < WEAKER:
            out[key] = (f"{LOOKALIKE}: most of its raw difference (odds ×{ratio(raw)}) goes once the other items on "
                        f"the deal are accounted for (×{ratio(r['odds_ratio'])})")
    linked = map_links(tables)
    for r in _pairs(wh, sorted(strength, key=lambda k: -strength[k])).iter_rows(named=True):
        key, other = (r["segment"], r["kind_a"], r["item_a"]), (r["segment"], r["kind_b"], r["item_b"])
        if key in out or r["phi"] < TRAVELS_WITH or strength[other] <= strength[key] \
                or frozenset([key[1:], other[1:]]) in linked:
            continue
        out[key] = (f"{LOOKALIKE}: it mostly travels with a stronger driver, "
                    f"{text.item(other[1], other[2], other[0]).short()} (correlation {r['phi']:.2f}); its own "
                    "effect may be borrowed from that one")
    return out


def map_links(tables: dict[str, pl.DataFrame]) -> set[frozenset[tuple[str, str]]]:
    """Pairs of (kind, item_id) the maps link: question/value proposition -> issue, and item -> its role."""
    pairs = set()
    for r in tables["links"].iter_rows(named=True):
        pairs.add(frozenset([(r["from_kind"], r["from_id"]), ("issue", r["to_id"])]))
    for r in tables["items"].iter_rows(named=True):
        pairs.add(frozenset([(r["kind"], r["item_id"]), ("role", r["role_id"])]))
    return pairs


def _pairs(wh: WarehouseReader, keys: list[Key]) -> pl.DataFrame:
    """phi correlation of every pair of the given drivers within their segment (the MAX_PAIRED strongest per
    segment when there are more), from the closed deals counted per set of drivers they have."""
    schema = {"segment": pl.String, "kind_a": pl.String, "item_a": pl.String, "kind_b": pl.String,
              "item_b": pl.String, "phi": pl.Float64}
    per_segment: dict[str, list[Key]] = {}
    for key in keys:
        per_segment.setdefault(key[0], []).append(key)
    bits = {key: i for group in per_segment.values() for i, key in enumerate(group[:MAX_PAIRED])}
    if len(bits) < 2:
        return pl.DataFrame(schema=schema)
    segs, kinds, items = (list(x) for x in zip(*bits))
    masks = wh.frame("cooccurrence", segments=segs, kinds=kinds, items=items, bits=list(bits.values()),
                     stride=max(1, wh.deals // PHI_DEALS))
    rows = []
    for seg, group in per_segment.items():
        part = masks.filter(pl.col("segment") == seg)
        mask, deals = part["mask"].to_numpy().astype(np.uint64), part["deals"].to_numpy().astype(float)
        group = group[:MAX_PAIRED]
        has = np.array([(mask >> np.uint64(i)) & np.uint64(1) for i in range(len(group))], dtype=float)
        n, k = deals.sum(), has @ deals
        both = (has * deals) @ has.T
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = (both * n - np.outer(k, k)) / np.sqrt(np.outer(k * (n - k), k * (n - k)))
        rows += [(seg, a[1], a[2], b[1], b[2], float(phi[i, j])) for i, a in enumerate(group)
                 for j, b in enumerate(group) if i != j and np.isfinite(phi[i, j])]
    return pl.DataFrame(rows, schema=schema, orient="row")
