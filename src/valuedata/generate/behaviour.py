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
    s, n, n_roles = m.spec, len(rep), m.n_roles
    n_vp, n_issue = len(m.ids["value_proposition"]), len(m.ids["issue"])
    f32 = np.float32

    # 1. Roles met; the role look-alike copies the key player half the time (same meetings).
    base = np.array([s.role_rates[r] for r in m.ids["role"]], dtype=f32)
    engaged = rng.random((n, n_roles), dtype=f32) < sigmoid(logit(base) + role_shift[rep])
    drv, look = (m.ids["role"].index(s.drivers["role"]), m.ids["role"].index(s.lookalikes["role"]))
    copy = rng.random(n) < COPY_PROBABILITY["role"]
    engaged[:, look] = np.where(copy, engaged[:, drv], engaged[:, look])

    # 2. Value propositions and questions, likelier when their role is met; look-alikes copy drivers.
    owner = np.concatenate([m.owner["value_proposition"], m.owner["question"]])
    p = m.pitch_rates().astype(f32) * np.where(engaged[:, owner], f32(1.0), f32(ABSENT_OWNER_FACTOR))
    pitched = rng.random(p.shape, dtype=f32) < sigmoid(logit(p) + pitch_shift[rep])
    del p
    together = {}
    for kind in ("value_proposition", "question"):
        drv, look = pitch_col(m, kind, s.drivers[kind]), pitch_col(m, kind, s.lookalikes[kind])
        copy = rng.random(n) < COPY_PROBABILITY[kind]
        pitched[:, look] = np.where(copy, pitched[:, drv], pitched[:, look])
        together[(drv, look)] = copy & pitched[:, drv]

    # 3. Engagement rows: one per role met, then extra rows with met roles or outsiders.
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

    # Rows of each (deal, role), to put an item in a meeting with the role that owns it.
    rr = np.nonzero(row_role >= 0)[0]
    keys = row_deal[rr] * n_roles + row_role[rr]
    order = np.argsort(keys, kind="stable")
    keys, by_role = keys[order], np.append(rr[order], 0)

    def place(deal: np.ndarray, role: np.ndarray) -> np.ndarray:
        k = deal * n_roles + role
        lo = np.searchsorted(keys, k, "left")
        cnt = np.searchsorted(keys, k, "right") - lo
        u = rng.random(len(deal))
        own = (role >= 0) & (cnt > 0)
        return np.where(own, by_role[lo + (u * cnt).astype(np.int64)], start[deal] + (u * count[deal]).astype(np.int64))

    pd_, pi = np.nonzero(pitched)
    prow = place(pd_, owner[pi])
    for (drv, look), both in together.items():
        drv_row = np.zeros(n, dtype=np.int64)
        sel = pi == drv
        drv_row[pd_[sel]] = prow[sel]
        sel = (pi == look) & both[pd_]
        prow[sel] = drv_row[pd_[sel]]

    # 4. Issues: each asked question records the issues it uncovers in the same row; plus spontaneous ones.
    asked = pi >= n_vp
    q_row, q = prow[asked], pi[asked] - n_vp
    cnt = np.diff(m.uncovers_ptr)[q]
    src = np.repeat(np.arange(len(q)), cnt)
    issue = m.uncovers_idx[m.uncovers_ptr[q][src] + np.arange(len(src)) - np.repeat(np.cumsum(cnt) - cnt, cnt)]
    keep = rng.random(len(issue)) < UNCOVER_PROBABILITY
    sd, si = np.nonzero(rng.random((n, n_issue), dtype=f32) < SPONTANEOUS_ISSUE_RATE)
    i_key = np.sort(np.concatenate([q_row[src][keep], place(sd, m.owner["issue"][si])]) * n_issue
                    + np.concatenate([issue[keep], si]))
    i_key = i_key[np.diff(i_key, prepend=-1) != 0]  # an issue recorded twice in one row counts once
    i_row, i_item = i_key // n_issue, i_key % n_issue

    indicators = np.zeros((n, n_roles + n_vp + n_issue + len(m.ids["question"])), dtype=bool)
    indicators[:, :n_roles] = engaged
    indicators[:, n_roles:n_roles + n_vp] = pitched[:, :n_vp]
    indicators[row_deal[i_row], n_roles + n_vp + i_item] = True
    indicators[:, n_roles + n_vp + n_issue:] = pitched[:, n_vp:]

    p_key = np.sort(prow * pitched.shape[1] + pi)
    p_row, p_item = p_key // pitched.shape[1], p_key % pitched.shape[1]
    vp = p_item < n_vp
    pairs = {"value_proposition": (p_row[vp], p_item[vp]), "issue": (i_row, i_item),
             "question": (p_row[~vp], p_item[~vp] - n_vp)}
    return Behaviour(indicators, row_deal, row_role, pairs)
