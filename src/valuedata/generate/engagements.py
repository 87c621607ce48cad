"""engagements.csv: every segment's engagement rows in one numbering, with dates, contacts, messy titles,
tag fields and stock notes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from valuedata.vocabulary import TAG_FIELDS

from . import spec as S
from .behaviour import Segment
from .columns import HORIZON, dates, ids, pick, stream, table, when
from .mapindex import MapIndex


@dataclass
class _Merged:
    """Every segment's engagement rows in one numbering, as codes into vocabularies shared by all maps."""

    rows: dict[str, np.ndarray]  # deal, role (-1 = outsider), title, slot (the contact within the account)
    titles: list[str]
    roles: list[str]
    item_ids: dict[str, list[str]]  # kind -> every map's ids
    pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]]  # kind -> per segment (row, item code)


def engagements_frame(d: dict, behaviour: list[Segment], maps: list[MapIndex],
                      deal_ids: pl.Series, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Merge the segments' engagement rows, give them dates, contacts and messy titles, and format them.
    Also returns every (row, kind, item_id) the rows carry and the map index of each row."""
    merged = _merge_segments(d, behaviour, maps, seed)
    rng = stream(seed, "engagements")
    rows, rank = _schedule(d, merged.rows, rng)
    columns = _crm_columns(d, rows, merged, deal_ids, rng)
    for kind, column in TAG_FIELDS.items():
        columns[column] = _tag_field(merged, kind, rank)
    columns["notes"] = _stock_notes(len(rank), rng)
    frame = pl.DataFrame(columns).with_columns(pl.all().replace("", None))
    return frame, _item_pairs(merged, rank), d["seg"][rows["deal"]]


def _merge_segments(d: dict, behaviour: list[Segment], maps: list[MapIndex],
                    seed: int) -> _Merged:
    """Number every segment's rows, titles, roles and items after the previous segment's, and give each row
    its contact: the (account, role) contact for a role row, an outsider with another title otherwise."""
    merged = _Merged({}, [], [], {k: [] for k in TAG_FIELDS}, {k: [] for k in TAG_FIELDS})
    parts: dict[str, list] = {k: [] for k in ("deal", "role", "title", "slot")}
    row_offset = 0
    for k, (m, (idx, b)) in enumerate(zip(maps, behaviour)):
        rng = stream(seed, f"titles:{m.map_id}")
        contact_title = _contact_titles(m, int(d["n_accounts"][k]), merged.titles, rng)
        other = rng.integers(0, len(m.spec.other_titles), len(b.row_deal))
        acc = d["account"][idx][b.row_deal]
        is_role = b.row_role >= 0
        parts["deal"].append(idx[b.row_deal])
        parts["role"].append(np.where(is_role, len(merged.roles) + b.row_role, -1))
        title = np.where(is_role, contact_title[acc, np.maximum(b.row_role, 0)], len(merged.titles) + other)
        parts["title"].append(title)
        parts["slot"].append(np.where(is_role, b.row_role, 10 + other))
        merged.titles += m.spec.other_titles
        merged.roles += m.ids["role"]
        for kind, (row, item) in b.pairs.items():
            merged.pairs[kind].append((row + row_offset, item + len(merged.item_ids[kind])))
            merged.item_ids[kind] += m.ids[kind]
        row_offset += len(b.row_deal)
    merged.rows = {k: np.concatenate(v) for k, v in parts.items()}
    return merged


def _contact_titles(m: MapIndex, n_accounts: int, titles: list[str], rng: np.random.Generator) -> np.ndarray:
    """(accounts, roles): the title each (account, role) contact keeps, usually one the patterns map and
    sometimes a typo, as a code into ``titles`` (extended with the map's titles)."""
    per_role = []
    for role in m.ids["role"]:
        good, typo = m.spec.titles[role]
        w = np.array([(1 - S.TYPO_SHARE) / len(good)] * len(good) + [S.TYPO_SHARE / len(typo)] * len(typo))
        per_role.append(len(titles) + rng.choice(len(w), size=n_accounts, p=w))
        titles += good + typo
    return np.column_stack(per_role)


def _schedule(d: dict, rows: dict[str, np.ndarray], rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """Draw each row's channel, day within its deal's open window and time of day; return the rows with
    those, in time order within each deal (engagement ids follow it), and each drawn row's new position."""
    deal = rows["deal"]
    n = len(deal)
    channel = pick(rng, S.CHANNELS, n)
    end = np.minimum(d["closed"], HORIZON - 1)
    day = d["created"][deal] + (rng.random(n) * (end - d["created"] + 1)[deal]).astype(np.int64)
    email = channel == list(S.CHANNELS).index("email")
    tod = np.where(email, 7 * 3600 + rng.integers(0, 12 * 3600, n), 8 * 3600 + 900 * rng.integers(0, 38, n))
    order = np.lexsort((tod, day, deal))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    timed = {**rows, "channel": channel, "day": day, "tod": tod}
    return {k: a[order] for k, a in timed.items()}, rank


def _crm_columns(d: dict, rows: dict[str, np.ndarray], merged: _Merged, deal_ids: pl.Series,
                 rng: np.random.Generator) -> dict[str, pl.Series]:
    """Id, deal, time, contact, title, role and channel of each row, with a CRM's habits: some times are
    dates only, a tenth of role rows store role_id (a third of those without a title), a few lack a contact."""
    n = len(rows["deal"])
    date_only = rng.random(n) < S.DATE_ONLY_SHARE
    direct = (rows["role"] >= 0) & (rng.random(n) < S.ROLE_ID_SHARE)
    no_title = direct & (rng.random(n) < 0.3)
    no_contact = rng.random(n) < 0.03
    date = dates(rows["day"])
    clock = table([f"T{h:02d}:{m:02d}:{x:02d}" for h in range(24) for m in range(60) for x in range(60)], rows["tod"])
    return {
        "engagement_id": ids("E", np.arange(1, n + 1), 8),
        "deal_id": deal_ids.gather(rows["deal"]),
        "occurred_at": when(date_only, date, date + clock),
        "contact_id": when(no_contact, None, ids("C", d["account_number"][rows["deal"]] * 20 + rows["slot"], 8)),
        "contact_title": when(no_title, None, table(merged.titles, rows["title"])),
        "role_id": table(merged.roles + [""], np.where(direct, rows["role"], len(merged.roles))),
        "channel": table(list(S.CHANNELS), rows["channel"]),
    }


def _tag_field(merged: _Merged, kind: str, rank: np.ndarray) -> pl.Series:
    """One tag field: each row's ``kind`` items, ``;``-joined in map order; null where it has none."""
    rows = rank[np.concatenate([r for r, _ in merged.pairs[kind]])]
    width = len(merged.item_ids[kind])
    key = np.sort(rows * width + np.concatenate([i for _, i in merged.pairs[kind]]))
    return _join_per_row(key // width, key % width, merged.item_ids[kind], len(rank))


def _join_per_row(row: np.ndarray, code: np.ndarray, ids: list[str], n: int) -> pl.Series:
    """``;``-joined ids per row from (row, code) pairs sorted by row; null where a row has none."""
    first = np.diff(row, prepend=-1) != 0
    pos = np.cumsum(first) - 1  # index of each pair's row among rows with ids
    rank = np.arange(len(row)) - np.nonzero(first)[0][pos]  # position of each pair within its row
    text = table(ids, code[first])
    for k in range(1, int(rank.max()) + 1 if len(rank) else 0):
        sel = rank == k
        text = text.scatter(pos[sel], text.gather(pos[sel]) + ";" + table(ids, code[sel]))
    return pl.repeat(None, n, dtype=pl.String, eager=True).scatter(row[first], text)


def _stock_notes(n: int, rng: np.random.Generator) -> pl.Series:
    """A stock opener and tail per row (free text with commas, quotes and non-ASCII); some rows have none."""
    opener = rng.integers(0, len(S.NOTE_OPENERS), n)
    tail = rng.integers(0, len(S.NOTE_TAILS), n)
    no_note = np.array([o == "" for o in S.NOTE_OPENERS])[opener]
    return when(no_note, None, table(S.NOTE_OPENERS, opener) + table(S.NOTE_TAILS, tail))


def _item_pairs(merged: _Merged, rank: np.ndarray) -> pl.DataFrame:
    """(row, kind, item_id) for every item of every engagement row (rows in their final order)."""
    frames = []
    for kind, parts in merged.pairs.items():
        rows = np.concatenate([r for r, _ in parts])
        frames.append(pl.DataFrame({"row": rank[rows], "kind": pl.repeat(kind, len(rows), eager=True),
                                    "item_id": table(merged.item_ids[kind], np.concatenate([i for _, i in parts]))}))
    return pl.concat(frames)
