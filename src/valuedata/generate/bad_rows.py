"""Inject rule-breaking rows into generated CRM files and list each one's physical line.

Bad rows never touch good data: rule rows get fresh ids (so no good engagement points at a bad deal),
bad engagements point at good deals, and an exact duplicate is a copy placed after its original.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import polars as pl

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
_ITEM_COLUMNS = {"value_propositions": "value_proposition", "issues": "issue", "questions": "question"}


def inject(deals: pl.DataFrame, reps: pl.DataFrame, engagements: pl.DataFrame, maps: list[MapIndex], n: int,
           rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Add ``n`` bad cases (a conflicting duplicate adds two rows); return the files and their listing."""
    frames = {"deals.csv": deals, "reps.csv": reps, "engagements.csv": engagements}
    cases = [RULES[k % len(RULES)] + (k // len(RULES),) for k in range(n)]
    need = {f: sum(c[0] == f for c in cases) for f in frames}
    closed = np.nonzero(deals["closed_at"].is_not_null().to_numpy())[0]
    picks = {
        "deals.csv": rng.choice(closed, need["deals.csv"], replace=False),
        "reps.csv": rng.choice(reps.height, need["reps.csv"], replace=len(reps) < need["reps.csv"]),
        "engagements.csv": rng.choice(engagements.height, need["engagements.csv"], replace=False),
    }
    templates = {f: iter(p.tolist()) for f, p in picks.items()}
    used = engagements["deal_id"].gather(picks["engagements.csv"]).to_list()
    segment_of = dict(deals.filter(pl.col("deal_id").is_in(used)).select("deal_id", "segment").iter_rows())
    by_segment = {m.segment: m for m in maps}
    width = len(reps["rep_id"][0]) - 1  # digits in "r01"
    # Fresh ids continue each file's numbering; ids that must not exist come after those.
    fresh = {f: itertools.count(frames[f].height + 1) for f in frames}
    pattern = {"deals.csv": "D{:07d}", "reps.csv": f"r{{:0{width}d}}", "engagements.csv": "E{:08d}"}
    unknown_rep, unknown_deal = itertools.count(reps.height + n + 1), itertools.count(deals.height + n + 1)

    added: dict[str, list[tuple[dict, str, int | None]]] = {f: [] for f in frames}  # (row, rule, original index)
    for file, rule, j in cases:
        t = next(templates[file])
        row = frames[file].row(t, named=True)
        if rule == "duplicate":
            added[file].append((row, rule, t))
            continue
        row[_ID[file]] = pattern[file].format(next(fresh[file]))
        if rule == "conflicting_duplicate":
            other = dict(row)
            if file == "deals.csv":
                other["amount"] = f"{float(row['amount']) * 1.1:.2f}"
            else:
                other["channel"] = "call" if row["channel"] != "call" else "meeting"
                other["notes"] = "Logged twice with different details"
            added[file] += [(row, rule, None), (other, rule, None)]
            continue
        if rule == "missing_required":
            field = {"deals.csv": ["account_id", "segment", "rep_id", "created_at", "deal_id"],
                     "engagements.csv": ["deal_id", "occurred_at", "engagement_id"]}[file]
            row[field[j % len(field)]] = None
        elif rule == "bad_date":
            column = {"deals.csv": "created_at", "reps.csv": "hired_at", "engagements.csv": "occurred_at"}[file]
            bad = {"deals.csv": ["2025-02-30", "2025-13-07", "next week", "31.12.2025"],
                   "reps.csv": ["2019-02-29", "15/03/2018", "someday"],
                   "engagements.csv": ["2025-02-30T10:00:00", "yesterday", "2025/13/01", "32.01.2025"]}[file]
            row[column] = bad[j % len(bad)]
            if file == "reps.csv":
                row["name"] = "New Hire (TBD)"
        elif rule == "bad_amount":
            row["amount"] = ["-1500.00", "12,5k", "n/a", "1.2.3"][j % 4]
        elif rule == "bad_outcome":
            row["outcome"] = ["pending", "stalled", "Closed Maybe", "wonn"][j % 4]
        elif rule == "closed_before_created":
            created = dt.date.fromisoformat(row["created_at"])
            row["closed_at"] = (created - dt.timedelta(days=int(rng.integers(1, 60)))).isoformat()
        elif rule == "unknown_rep":
            row["rep_id"] = pattern["reps.csv"].format(next(unknown_rep))
        elif rule == "unknown_deal":
            row["deal_id"] = pattern["deals.csv"].format(next(unknown_deal))
        elif rule in ("unknown_role", "unknown_map_id"):
            own = by_segment[segment_of[row["deal_id"]]]
            other = next(m for m in maps if m is not own)
            if rule == "unknown_role":
                row["role_id"] = next((r for r in other.ids["role"] if r not in own.ids["role"]), "purchasing_agent")
            else:
                column = list(_ITEM_COLUMNS)[j % 3]
                kind = _ITEM_COLUMNS[column]
                foreign = next(i for i in other.ids[kind] if i not in own.ids[kind])
                row[column] = f"{row[column]};{foreign}" if row[column] else foreign
        elif rule == "bad_channel":
            row["channel"] = ["fax", "carrier pigeon", "linkedin", "sms"][j % 4]
        added[file].append((row, rule, None))

    listing = []
    for file, rows in added.items():
        good = frames[file]
        if not rows:
            continue
        # Each bad row goes before good row `gap` (after its original, for an exact duplicate).
        gaps = np.array([rng.integers(0 if o is None else o + 1, good.height + 1) for _, _, o in rows])
        extra = pl.DataFrame([r for r, _, _ in rows], schema=good.schema)
        pieces, prev = [], 0
        for k, b in enumerate(np.lexsort((np.arange(len(rows)), gaps)).tolist()):
            pieces += [good.slice(prev, int(gaps[b]) - prev), extra.slice(b, 1)]
            prev = int(gaps[b])
            listing.append({"file": file, "line": prev + k + 2, "id": rows[b][0][_ID[file]] or "",
                            "rule": rows[b][1]})  # header is line 1
        frames[file] = pl.concat(pieces + [good.slice(prev)], rechunk=False)
    bad = pl.DataFrame(listing, schema={"file": pl.String, "line": pl.Int64, "id": pl.String, "rule": pl.String})
    return frames["deals.csv"], frames["reps.csv"], frames["engagements.csv"], bad.sort("file", "line")
