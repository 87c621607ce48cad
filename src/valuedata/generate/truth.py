"""``_truth/truth.json``: what was planted and what it produced, for tests and for judging the analysis."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import spec as S
from .behaviour import Behaviour, Segment, logit
from .mapindex import MapIndex


def truth(world: str, seed: int, rep_ids: pl.Series, maps: list[MapIndex],
          behaviour: list[Segment], d: dict) -> dict:
    """The world's model and constants, each segment's planted items as measured, and the rep habits."""
    planted, habits = world != "noise", world != "flat_reps"
    strong = [k - 1 for k in S.STRONG_REPS if k <= rep_ids.len()] if habits else []
    return {
        "world": world, "seed": seed, "deals": len(d["seg"]), "reps": rep_ids.len(),
        "first_day": S.FIRST_DAY, "snapshot_day": S.SNAPSHOT_DAY,
        "model": "won ~ Bernoulli(sigmoid(intercept[segment] + sum(beta * item present on deal)"
                 " + amount_beta * ln(amount / amount_median[segment]) + lead_source_beta[lead_source]))",
        "amount_beta": S.AMOUNT_BETA if planted else 0.0,
        "lead_source_beta": dict(S.LEAD_SOURCE_BETA) if planted else {k: 0.0 for k in S.LEAD_SOURCE_BETA},
        "behaviour": {
            "copy_probability": S.COPY_PROBABILITY, "uncover_probability": S.UNCOVER_PROBABILITY,
            "spontaneous_issue_rate": S.SPONTANEOUS_ISSUE_RATE, "absent_owner_factor": S.ABSENT_OWNER_FACTOR,
            "role_id_share": S.ROLE_ID_SHARE, "typo_title_share": S.TYPO_SHARE,
        },
        "segments": {m.segment: _segment(m, idx, b, d, planted) for m, (idx, b) in zip(maps, behaviour)},
        "reps_habits": {
            "strong_reps": [rep_ids[k] for k in strong],
            "strong_shift_on_key_players": S.STRONG_SHIFT if habits else 0.0,
            "key_player_coverage": _key_player_coverage(maps, behaviour, d, strong),
            "gap_shift": S.GAP_SHIFT if habits else 0.0,
            "gaps": _gaps(maps, behaviour, d, rep_ids) if habits else [],
        },
        "open_deals": int(d["open"].sum()),
        "win_rate_closed": round(float(d["won"][~d["open"]].mean()), 4),
    }


def _segment(m: MapIndex, idx: np.ndarray, b: Behaviour, d: dict, planted: bool) -> dict:
    """One segment: its outcome model, win rate, planted items, look-alikes and every item's deal rate."""
    closed = ~d["open"][idx]
    return {
        "map_id": m.map_id,
        "intercept": m.spec.intercept if planted else round(float(logit(S.NOISE_WIN_PROBABILITY)), 6),
        "amount_median": m.spec.amount_median,
        "deals": len(idx), "closed_deals": int(closed.sum()),
        "win_rate": round(float(d["won"][idx][closed].mean()), 4),
        "drivers": dict(m.spec.drivers) if planted else {},
        "negative": m.spec.negative if planted else None,
        "lookalikes": [_lookalike(m, b.indicators, k, i) for k, i in m.spec.lookalikes.items()],
        "winning_question_uncovers": _uncover_rates(m, b),
        "items": _items(m, b.indicators, planted),
    }


def _items(m: MapIndex, z: np.ndarray, planted: bool) -> list[dict]:
    """Every role and item of the map: its owning role, beta, what was planted on it and its deal rate."""
    beta = m.betas() if planted else np.zeros(z.shape[1])
    tags = {m.col(k, i): "driver" for k, i in m.spec.drivers.items()}
    tags[m.col("value_proposition", m.spec.negative)] = "negative"
    tags |= {m.col(k, i): "lookalike" for k, i in m.spec.lookalikes.items()}
    owners = {(k, item): m.ids["role"][m.owner[k][j]] for k in m.owner for j, item in enumerate(m.ids[k])}
    return [{"kind": k, "item_id": i, "role_id": i if k == "role" else owners[(k, i)],
             "beta": float(beta[c]), "planted": tags.get(c, "noise") if planted else "noise",
             "deal_rate": round(float(z[:, c].mean()), 4)}
            for c, (k, i) in enumerate(m.columns())]


def _lookalike(m: MapIndex, z: np.ndarray, kind: str, item: str) -> dict:
    """A look-alike, the driver it travels with, and its deal-level correlation with every driver."""
    def corr(other_kind: str, other: str) -> float:
        return round(float(np.corrcoef(z[:, m.col(kind, item)], z[:, m.col(other_kind, other)])[0, 1]), 4)

    partner = S.LOOKALIKE_PARTNER[kind]
    return {"kind": kind, "item_id": item, "travels_with": m.spec.drivers[partner],
            "correlation": corr(partner, m.spec.drivers[partner]),
            "correlation_with_drivers": {i: corr(k, i) for k, i in m.spec.drivers.items()}}


def _uncover_rates(m: MapIndex, b: Behaviour) -> dict[str, float]:
    """Share of engagements asking the winning question that also record each issue it uncovers."""
    q = m.ids["question"].index(m.spec.drivers["question"])
    q_rows, q_item = b.pairs["question"]
    asked = q_rows[q_item == q]
    i_rows, i_item = b.pairs["issue"]
    out = {}
    for issue in m.uncovers_idx[m.uncovers_ptr[q]:m.uncovers_ptr[q + 1]].tolist():
        out[m.ids["issue"][issue]] = round(float(np.isin(asked, i_rows[i_item == issue]).mean()), 4)
    return out


def _gaps(maps: list[MapIndex], behaviour: list[Segment], d: dict,
          rep_ids: pl.Series) -> list[dict]:
    """Each gap rep that exists: the driver it rarely uses per segment, and its rate of it against the others."""
    gaps = []
    for number, kind in S.GAPS.items():
        if number > rep_ids.len():
            continue
        items, rates = {}, {}
        for m, (idx, b) in zip(maps, behaviour):
            item = m.spec.drivers[kind]
            has = b.indicators[:, m.col(kind, item)]
            mine = d["rep"][idx] == number - 1
            items[m.segment] = item
            rates[m.segment] = {"rep": round(float(has[mine].mean()), 4) if mine.any() else None,
                                "other_reps": round(float(has[~mine].mean()), 4)}
        gaps.append({"rep_id": rep_ids[number - 1], "kind": kind, "items": items, "rates": rates})
    return gaps


def _key_player_coverage(maps: list[MapIndex], behaviour: list[Segment], d: dict,
                         strong: list[int]) -> dict[str, dict]:
    """Per segment, the share of the map's key-player roles met per deal: strong reps against the others."""
    coverage = {}
    for m, (idx, b) in zip(maps, behaviour):
        met = b.indicators[:, : m.n_roles][:, m.key_player].mean(1)
        is_strong = np.isin(d["rep"][idx], strong)
        coverage[m.segment] = {"strong_reps": round(float(met[is_strong].mean()), 4) if is_strong.any() else None,
                               "other_reps": round(float(met[~is_strong].mean()), 4)}
    return coverage
