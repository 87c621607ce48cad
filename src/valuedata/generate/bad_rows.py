"""Inject rule-breaking rows into generated CRM files and list each one's physical line.

Bad rows never touch good data: rule rows get fresh ids (so no good engagement points at a bad deal),
bad engagements point at good deals, and an exact duplicate is a copy placed after its original.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl

from valuedata.vocabulary import TAG_FIELDS

from .mapindex import MapIndex

# Cycled in this order: any N covers the most rules it can, across all three files.
RULES = [
    ("deals.csv", "missing_required"), ("engagements.csv", "unknown_deal"), ("deals.csv", "duplicate"),
    ("engagements.csv", "unknown_map_id"), ("reps.csv", "duplicate"), ("deals.csv", "conflicting_duplicate"),
    ("engagements.csv", "unknown_role"), ("deals.csv", "bad_date"), ("engagements.csv", "duplicate"),
    ("deals.csv", "unknown_rep"), ("engagements.csv", "conflicting_duplicate"), ("deals.csv", "bad_amount"),
    ("engagements.csv", "bad_date"), ("deals.csv", "bad_outcome"), ("reps.csv", "bad_date"),
    ("engagements.csv", "missing_required"), ("deals.csv", "closed_before_created"),
    ("engagements.csv", "bad_channel"),
]
_ID = {"deals.csv": "deal_id", "reps.csv": "rep_id", "engagements.csv": "engagement_id"}
_REQUIRED = {"deals.csv": ["account_id", "segment", "rep_id", "created_at", "deal_id"],
             "engagements.csv": ["deal_id", "occurred_at", "engagement_id"]}  # blanked in turn
_BAD_VALUES = {  # (file, rule) -> the column broken and the values written into it in turn
    ("deals.csv", "bad_date"): ("created_at", ["2025-02-30", "2025-13-07", "next week", "31.12.2025"]),
    ("reps.csv", "bad_date"): ("hired_at", ["2019-02-29", "15/03/2018", "someday"]),
    ("engagements.csv", "bad_date"): ("occurred_at", ["2025-02-30T10:00:00", "yesterday", "2025/13/01", "32.01.2025"]),
    ("deals.csv", "bad_amount"): ("amount", ["-1500.00", "12,5k", "n/a", "1.2.3"]),
    ("deals.csv", "bad_outcome"): ("outcome", ["pending", "stalled", "Closed Maybe", "wonn"]),
    ("engagements.csv", "bad_channel"): ("channel", ["fax", "carrier pigeon", "linkedin", "sms"]),
}


class _NewIds:
    """Ids for bad rows: fresh ones continue each file's numbering; ids that must not exist come after those."""

    def __init__(self, frames: dict[str, pl.DataFrame], n: int):
        width = len(frames["reps.csv"]["rep_id"][0]) - 1  # digits in "r01"
        self.pattern = {"deals.csv": "D{:07d}", "reps.csv": f"r{{:0{width}d}}", "engagements.csv": "E{:08d}"}
        self.fresh_numbers = {f: itertools.count(df.height + 1) for f, df in frames.items()}
        self.unknown_numbers = {f: itertools.count(frames[f].height + n + 1) for f in ("deals.csv", "reps.csv")}

    def fresh(self, file: str) -> str:
        return self.pattern[file].format(next(self.fresh_numbers[file]))

    def unknown(self, file: str) -> str:
        return self.pattern[file].format(next(self.unknown_numbers[file]))


@dataclass
class _Context:
    """What breaking a row needs besides the row: new ids, the map of each deal a bad engagement copies,
    every map, and the random stream."""

    ids: _NewIds
    map_of_deal: dict[str, MapIndex]
    maps: list[MapIndex]
    rng: np.random.Generator


def inject(deals: pl.DataFrame, reps: pl.DataFrame, engagements: pl.DataFrame, maps: list[MapIndex], n: int,
           rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Add ``n`` bad cases (a conflicting duplicate adds two rows); return the files and their listing."""
    frames = {"deals.csv": deals, "reps.csv": reps, "engagements.csv": engagements}
    cases = [RULES[k % len(RULES)] + (k // len(RULES),) for k in range(n)]
    picks = _pick_templates(frames, cases, rng)
    used = engagements["deal_id"].gather(picks["engagements.csv"]).to_list()
    by_segment = {m.segment: m for m in maps}
    map_of_deal = {deal: by_segment[segment] for deal, segment in
                   deals.filter(pl.col("deal_id").is_in(used)).select("deal_id", "segment").iter_rows()}
    context = _Context(_NewIds(frames, n), map_of_deal, maps, rng)
    templates = {f: iter(p.tolist()) for f, p in picks.items()}
    added: dict[str, list[tuple[dict, str, int | None]]] = {f: [] for f in frames}  # (row, rule, original index)
    for file, rule, j in cases:
        t = next(templates[file])
        added[file] += _case_rows(frames[file].row(t, named=True), file, rule, j, t, context)
    listing = []
    for file, rows in added.items():
        if rows:
            frames[file], placed = _mix_in(frames[file], rows, rng)
            listing += [{"file": file, "line": line, "id": row[_ID[file]] or "", "rule": rule}
                        for line, (row, rule, _) in placed]
    bad = pl.DataFrame(listing, schema={"file": pl.String, "line": pl.Int64, "id": pl.String, "rule": pl.String})
    return frames["deals.csv"], frames["reps.csv"], frames["engagements.csv"], bad.sort("file", "line")


def _pick_templates(frames: dict[str, pl.DataFrame], cases: list[tuple[str, str, int]],
                    rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per file, the good row each of its cases copies: distinct closed deals, distinct engagements, and reps
    (repeated when there are fewer reps than cases)."""
    need = {f: sum(c[0] == f for c in cases) for f in frames}
    deals, reps, engagements = frames.values()
    closed = np.nonzero(deals["closed_at"].is_not_null().to_numpy())[0]
    return {
        "deals.csv": rng.choice(closed, need["deals.csv"], replace=False),
        "reps.csv": rng.choice(reps.height, need["reps.csv"], replace=len(reps) < need["reps.csv"]),
        "engagements.csv": rng.choice(engagements.height, need["engagements.csv"], replace=False),
    }


def _case_rows(row: dict, file: str, rule: str, j: int, original: int,
               context: _Context) -> list[tuple[dict, str, int | None]]:
    """The rows one case adds, each with its rule and (for an exact copy) the index of its original: the
    copy, two rows sharing a fresh id with different content, or the row under a fresh id with ``rule`` broken."""
    if rule == "duplicate":
        return [(row, rule, original)]
    row[_ID[file]] = context.ids.fresh(file)
    if rule == "conflicting_duplicate":
        return [(row, rule, None), (_conflicting(row, file), rule, None)]
    _break(row, file, rule, j, context)
    return [(row, rule, None)]


def _conflicting(row: dict, file: str) -> dict:
    """``row`` with different content: a deal 10% dearer, an engagement on another channel with other notes."""
    other = dict(row)
    if file == "deals.csv":
        other["amount"] = f"{float(row['amount']) * 1.1:.2f}"
    else:
        other["channel"] = "call" if row["channel"] != "call" else "meeting"
        other["notes"] = "Logged twice with different details"
    return other


def _break(row: dict, file: str, rule: str, j: int, context: _Context) -> None:
    """Make ``row`` break ``rule``; ``j`` (the case's round through RULES) picks among the rule's variants."""
    if (file, rule) in _BAD_VALUES:
        column, values = _BAD_VALUES[(file, rule)]
        row[column] = values[j % len(values)]
        if file == "reps.csv":
            row["name"] = "New Hire (TBD)"
    elif rule == "missing_required":
        row[_REQUIRED[file][j % len(_REQUIRED[file])]] = None
    elif rule == "closed_before_created":
        created = dt.date.fromisoformat(row["created_at"])
        row["closed_at"] = (created - dt.timedelta(days=int(context.rng.integers(1, 60)))).isoformat()
    elif rule == "unknown_rep":
        row["rep_id"] = context.ids.unknown("reps.csv")
    elif rule == "unknown_deal":
        row["deal_id"] = context.ids.unknown("deals.csv")
    else:
        _use_other_map(row, rule, j, context)


def _use_other_map(row: dict, rule: str, j: int, context: _Context) -> None:
    """``unknown_role`` / ``unknown_map_id``: give the engagement a role or item id of the other map, valid
    somewhere but not in its deal's map (the item kind goes round value propositions, issues, questions)."""
    own = context.map_of_deal[row["deal_id"]]
    other = next(m for m in context.maps if m is not own)
    if rule == "unknown_role":
        row["role_id"] = next((r for r in other.ids["role"] if r not in own.ids["role"]), "purchasing_agent")
        return
    kind, column = list(TAG_FIELDS.items())[j % len(TAG_FIELDS)]
    foreign = next(i for i in other.ids[kind] if i not in own.ids[kind])
    row[column] = f"{row[column]};{foreign}" if row[column] else foreign


def _mix_in(good: pl.DataFrame, rows: list[tuple[dict, str, int | None]],
            rng: np.random.Generator) -> tuple[pl.DataFrame, list[tuple[int, tuple[dict, str, int | None]]]]:
    """Put each bad row before a random good row (after its original, for an exact copy); return the file
    and (physical line, bad row) in file order, the header being line 1."""
    gaps = np.array([rng.integers(0 if o is None else o + 1, good.height + 1) for _, _, o in rows])
    extra = pl.DataFrame([r for r, _, _ in rows], schema=good.schema)
    pieces, prev, placed = [], 0, []
    for k, b in enumerate(np.lexsort((np.arange(len(rows)), gaps)).tolist()):
        pieces += [good.slice(prev, int(gaps[b]) - prev), extra.slice(b, 1)]
        prev = int(gaps[b])
        placed.append((prev + k + 2, rows[b]))
    return pl.concat(pieces + [good.slice(prev)], rechunk=False), placed
