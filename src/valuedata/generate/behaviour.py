"""Who a rep meets and what they pitch, ask and uncover on each deal of one segment (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mapindex import MapIndex
from .spec import (ABSENT_OWNER_FACTOR, COPY_PROBABILITY, ENGAGEMENTS_EXTRA, ENGAGEMENTS_MIN, GAP_SHIFT, GAPS,
                   NON_ROLE_SHARE, SPONTANEOUS_ISSUE_RATE, STRONG_REPS, STRONG_SHIFT, UNCOVER_PROBABILITY)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


@dataclass
class Behaviour:
    """One segment's deals: deal-level indicators and the engagement rows that carry them."""

    indicators: np.ndarray  # (deals, map columns) bool; roles are the true roles met
    row_deal: np.ndarray  # segment-local deal index of each engagement row
    row_role: np.ndarray  # role index of the contact, -1 = someone outside the map
    pairs: dict[str, tuple[np.ndarray, np.ndarray]]  # kind -> (row, item index within kind), sorted by row


Segment = tuple[np.ndarray, Behaviour]  # a segment's deals (indices among all deals) and their behaviour


def rep_shifts(m: MapIndex, reps: int, habits: bool) -> tuple[np.ndarray, np.ndarray]:
    """Logit shifts per rep: on role engagement (reps x roles) and on pitching (reps x (vps + questions))."""
    role = np.zeros((reps, m.n_roles), dtype=np.float32)
    pitch = np.zeros((reps, len(m.ids["value_proposition"]) + len(m.ids["question"])), dtype=np.float32)
    if not habits:
        return role, pitch
    for number in STRONG_REPS:
        if number <= reps:
            role[number - 1, m.key_player] += STRONG_SHIFT
    for number, kind in GAPS.items():
        if number > reps:
            continue
        if kind == "role":
            role[number - 1, m.ids["role"].index(m.spec.drivers["role"])] += GAP_SHIFT
        else:
            pitch[number - 1, pitch_col(m, kind, m.spec.drivers[kind])] += GAP_SHIFT
    return role, pitch


def pitch_col(m: MapIndex, kind: str, item_id: str) -> int:
    """Column of a value proposition or question in the pitched matrix (vps first, then questions)."""
    if kind == "value_proposition":
        return m.ids[kind].index(item_id)
    return len(m.ids["value_proposition"]) + m.ids[kind].index(item_id)


def simulate(m: MapIndex, rep: np.ndarray, role_shift: np.ndarray, pitch_shift: np.ndarray,
             rng: np.random.Generator) -> Behaviour:
    """Draw roles met, items pitched, engagement rows, and issues uncovered for deals owned by ``rep``."""
    engaged = _meet_roles(m, rep, role_shift, rng)
    pitched, together = _pitch_items(m, rep, engaged, pitch_shift, rng)
    rows = _Engagements.draw(engaged, rng)
    deal, item = np.nonzero(pitched)
    row = _share_driver_rows(rows.place(deal, m.pitch_owners()[item], rng), deal, item, together)
    n_vp = len(m.ids["value_proposition"])
    asked = item >= n_vp
    i_row, i_item = _uncover_issues(m, rows, row[asked], item[asked] - n_vp, rng)
    return Behaviour(_indicators(m, engaged, pitched, rows.deal[i_row], i_item), rows.deal, rows.role,
                     _pairs(m, row, item, pitched.shape[1], i_row, i_item))


def _meet_roles(m: MapIndex, rep: np.ndarray, role_shift: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(deals, roles): the roles met; the role look-alike copies the key player half the time (same meetings)."""
    base = np.array([m.spec.role_rates[r] for r in m.ids["role"]], dtype=np.float32)
    engaged = rng.random((len(rep), m.n_roles), dtype=np.float32) < sigmoid(logit(base) + role_shift[rep])
    drv, look = (m.ids["role"].index(m.spec.drivers["role"]), m.ids["role"].index(m.spec.lookalikes["role"]))
    copy = rng.random(len(rep)) < COPY_PROBABILITY["role"]
    engaged[:, look] = np.where(copy, engaged[:, drv], engaged[:, look])
    return engaged


def _pitch_items(m: MapIndex, rep: np.ndarray, engaged: np.ndarray, pitch_shift: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]:
    """(deals, vps + questions): the items pitched, likelier when their role is met; look-alikes copy their
    driver. Also, per (driver, look-alike) column pair, the deals where the look-alike came with the driver."""
    f32 = np.float32
    p = m.pitch_rates().astype(f32) * np.where(engaged[:, m.pitch_owners()], f32(1.0), f32(ABSENT_OWNER_FACTOR))
    pitched = rng.random(p.shape, dtype=f32) < sigmoid(logit(p) + pitch_shift[rep])
    together = {}
    for kind in ("value_proposition", "question"):
        drv, look = pitch_col(m, kind, m.spec.drivers[kind]), pitch_col(m, kind, m.spec.lookalikes[kind])
        copy = rng.random(len(rep)) < COPY_PROBABILITY[kind]
        pitched[:, look] = np.where(copy, pitched[:, drv], pitched[:, look])
        together[(drv, look)] = copy & pitched[:, drv]
    return pitched, together


@dataclass
class _Engagements:
    """A segment's engagement rows: each row's deal and contact role, and where each deal's rows start."""

    deal: np.ndarray
    role: np.ndarray  # -1 = someone outside the map
    start: np.ndarray  # per deal: its first row
    count: np.ndarray  # per deal: how many rows
    keys: np.ndarray  # deal * roles + role of every role row, sorted
    by_role: np.ndarray  # the rows in ``keys`` order, plus a spare 0 so a role not met stays in bounds
    n_roles: int

    @classmethod
    def draw(cls, engaged: np.ndarray, rng: np.random.Generator) -> _Engagements:
        """One row per role met, then extra rows with met roles or outsiders."""
        n, n_roles = engaged.shape
        n_met = engaged.sum(1)
        count = np.maximum(ENGAGEMENTS_MIN + rng.binomial(ENGAGEMENTS_EXTRA, 3 / 7, n), n_met)
        start = np.cumsum(count) - count
        row_deal = np.repeat(np.arange(n), count)
        pos = np.arange(len(row_deal)) - start[row_deal]
        met_deal, met_role = np.nonzero(engaged)
        first = np.cumsum(n_met) - n_met
        row_role = np.full(len(row_deal), -1, dtype=np.int64)
        row_role[start[met_deal] + np.arange(len(met_deal)) - first[met_deal]] = met_role
        extra = np.nonzero(pos >= n_met[row_deal])[0]
        xd = row_deal[extra]
        use_role = (n_met[xd] > 0) & (rng.random(len(extra)) >= NON_ROLE_SHARE)
        k = first[xd] + (rng.random(len(extra)) * n_met[xd]).astype(np.int64)
        row_role[extra] = np.append(met_role, -1)[np.where(use_role, k, len(met_role))]
        rr = np.nonzero(row_role >= 0)[0]
        keys = row_deal[rr] * n_roles + row_role[rr]
        order = np.argsort(keys, kind="stable")
        return cls(row_deal, row_role, start, count, keys[order], np.append(rr[order], 0), n_roles)

    def place(self, deal: np.ndarray, role: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random row of each deal with the item's owner role, or any row of the deal if that role was not met."""
        k = deal * self.n_roles + role
        lo = np.searchsorted(self.keys, k, "left")
        cnt = np.searchsorted(self.keys, k, "right") - lo
        u = rng.random(len(deal))
        own = (role >= 0) & (cnt > 0)
        anywhere = self.start[deal] + (u * self.count[deal]).astype(np.int64)
        return np.where(own, self.by_role[lo + (u * cnt).astype(np.int64)], anywhere)


def _share_driver_rows(row: np.ndarray, deal: np.ndarray, item: np.ndarray,
                       together: dict[tuple[int, int], np.ndarray]) -> np.ndarray:
    """Rows of the pitched (deal, item) pairs, with a look-alike that came with its driver moved to the
    driver's row (the same engagement)."""
    for (drv, look), both in together.items():
        drv_row = np.zeros(len(both), dtype=np.int64)
        sel = item == drv
        drv_row[deal[sel]] = row[sel]
        sel = (item == look) & both[deal]
        row[sel] = drv_row[deal[sel]]
    return row


def _uncover_issues(m: MapIndex, rows: _Engagements, q_row: np.ndarray, q: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(row, issue) of every issue recorded: each asked question records the issues it uncovers in its row,
    plus spontaneous ones; an issue recorded twice in one row counts once."""
    n_issue = len(m.ids["issue"])
    cnt = np.diff(m.uncovers_ptr)[q]
    src = np.repeat(np.arange(len(q)), cnt)
    issue = m.uncovers_idx[m.uncovers_ptr[q][src] + np.arange(len(src)) - np.repeat(np.cumsum(cnt) - cnt, cnt)]
    keep = rng.random(len(issue)) < UNCOVER_PROBABILITY
    sd, si = np.nonzero(rng.random((len(rows.start), n_issue), dtype=np.float32) < SPONTANEOUS_ISSUE_RATE)
    i_key = np.sort(np.concatenate([q_row[src][keep], rows.place(sd, m.owner["issue"][si], rng)]) * n_issue
                    + np.concatenate([issue[keep], si]))
    i_key = i_key[np.diff(i_key, prepend=-1) != 0]
    return i_key // n_issue, i_key % n_issue


def _indicators(m: MapIndex, engaged: np.ndarray, pitched: np.ndarray, issue_deal: np.ndarray,
                issue: np.ndarray) -> np.ndarray:
    """The deal-level indicator matrix: roles met, vps pitched, issues recorded, questions asked."""
    n_roles, n_vp, n_issue = m.n_roles, len(m.ids["value_proposition"]), len(m.ids["issue"])
    indicators = np.zeros((len(engaged), n_roles + n_vp + n_issue + len(m.ids["question"])), dtype=bool)
    indicators[:, :n_roles] = engaged
    indicators[:, n_roles:n_roles + n_vp] = pitched[:, :n_vp]
    indicators[issue_deal, n_roles + n_vp + issue] = True
    indicators[:, n_roles + n_vp + n_issue:] = pitched[:, n_vp:]
    return indicators


def _pairs(m: MapIndex, row: np.ndarray, item: np.ndarray, width: int, i_row: np.ndarray,
           i_item: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per kind, (row, item index within kind) of every recorded item, sorted by row."""
    n_vp = len(m.ids["value_proposition"])
    p_key = np.sort(row * width + item)
    p_row, p_item = p_key // width, p_key % width
    vp = p_item < n_vp
    return {"value_proposition": (p_row[vp], p_item[vp]), "issue": (i_row, i_item),
            "question": (p_row[~vp], p_item[~vp] - n_vp)}
