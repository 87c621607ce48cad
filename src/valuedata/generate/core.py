"""``generate()``: a deterministic CRM export (deals, reps, engagements) around the packaged value maps."""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from . import spec as S
from .bad_rows import inject
from .behaviour import Behaviour, logit, rep_shifts, sigmoid, simulate
from .mapindex import MapIndex, load_map
from .notes import write_notes

_EPOCH_DAY = int((np.datetime64(S.FIRST_DAY) - np.datetime64("1970-01-01")).astype(int))
_HORIZON = int((np.datetime64(S.SNAPSHOT_DAY) - np.datetime64(S.FIRST_DAY)).astype(int)) + 1


def _rng(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per purpose, so one part changing never shifts another."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def _pick(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    return (prefix + pl.Series(numbers, dtype=pl.Int64).cast(pl.String).str.zfill(width)).rename("")


def _dates(days: np.ndarray) -> pl.Series:
    """ISO dates for day offsets from FIRST_DAY (one formatted string per distinct day)."""
    lo = int(days.min())
    text = pl.Series(np.arange(lo, int(days.max()) + 1) + _EPOCH_DAY, dtype=pl.Int32).cast(pl.Date).cast(pl.String)
    return text.gather(days - lo)


def _table(values: list[str], codes: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.String).gather(codes)


def generate(out_dir: Path, deals: int = 4000, seed: int = 42, *, world: str = "planted", bad_rows: int = 0,
             reps: int = 24, notes_share: float = 0.0, notes_wording: str = "shared",
             progress: Callable[[str], None] | None = None) -> dict:
    """Write maps/, deals.csv, reps.csv, engagements.csv and _truth/ into ``out_dir``; return a summary.

    The same arguments always give byte-identical files. ``world`` is ``planted`` (item effects and rep
    habits), ``noise`` (outcomes independent of everything) or ``flat_reps`` (item effects, identical reps).
    ``bad_rows`` injects that many rule-breaking rows, listed in ``_truth/bad_rows.csv``.
    ``notes_share`` > 0 makes a notes world (see ``notes.py``): every engagement's notes mention its items,
    that share of engagements has blank tag fields, and ``_truth/engagement_items.csv`` lists every item.
    """
    if world not in S.WORLDS:
        raise ValueError(f"world must be one of {', '.join(S.WORLDS)}, not {world!r}")
    if not 0.0 <= notes_share <= 1.0:
        raise ValueError(f"notes_share must be between 0 and 1, not {notes_share}")
    if deals < 20 or reps < 1 or bad_rows < 0 or bad_rows > deals // 4:
        raise ValueError("need deals >= 20, reps >= 1 and 0 <= bad_rows <= deals / 4")
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    out = Path(out_dir)
    (out / "maps").mkdir(parents=True, exist_ok=True)
    (out / "_truth").mkdir(parents=True, exist_ok=True)
    maps = [load_map(s) for s in S.SEGMENTS]
    for m in maps:
        (out / "maps" / m.spec.map_file).write_bytes(m.raw)

    say(f"simulating {deals:,} deals ({world})")
    rep_ids = _ids("r", np.arange(1, reps + 1), max(2, len(str(reps))))
    d = _deals(deals, reps, seed)
    planted = world != "noise"
    behaviour, logits = [], np.zeros(deals)
    for k, m in enumerate(maps):
        idx = np.nonzero(d["seg"] == k)[0]
        role_shift, pitch_shift = rep_shifts(m, reps, habits=world != "flat_reps")
        b = simulate(m, d["rep"][idx], role_shift, pitch_shift, _rng(seed, f"behaviour:{m.map_id}"))
        behaviour.append((idx, b))
        if planted:
            logits[idx] = _logit(m, b.indicators, d["amount"][idx], d["lead"][idx])
        else:
            logits[idx] = logit(S.NOISE_WIN_PROBABILITY)
    d["p"] = sigmoid(logits)
    d["won"] = _rng(seed, "outcomes").random(deals) < d["p"]

    say("building engagements")
    deal_ids = _ids("D", np.arange(1, deals + 1), 7)
    deals_df = _deals_frame(d, deal_ids, rep_ids, maps, seed)
    eng_df, item_pairs, map_of_row = _engagements_frame(d, behaviour, maps, deal_ids, seed)
    if notes_share:
        say(f"writing notes ({notes_share:.0%} of engagements with notes only, {notes_wording} wording)")
        eng_df, items_truth = write_notes(eng_df, item_pairs, maps, map_of_row, _rng(seed, "notes"),
                                          notes_share, notes_wording)
        items_truth.write_csv(out / "_truth" / "engagement_items.csv")
    else:
        (out / "_truth" / "engagement_items.csv").unlink(missing_ok=True)
    reps_df = _reps_frame(rep_ids, seed)

    say("writing truth")
    truth = _truth(world, seed, deals, reps, rep_ids, maps, behaviour, d, planted)
    text = json.dumps(truth, indent=2, ensure_ascii=False) + "\n"
    (out / "_truth" / "truth.json").write_text(text, encoding="utf-8")
    pl.DataFrame({
        "deal_id": deal_ids, "segment": _table([m.segment for m in maps], d["seg"]),
        "true_win_probability": np.round(d["p"], 6), "is_open": d["open"],
    }).write_csv(out / "_truth" / "deal_truth.csv")

    listed, engagements = 0, eng_df.height
    if bad_rows:
        say(f"injecting {bad_rows} bad rows")
        deals_df, reps_df, eng_df, bad = inject(deals_df, reps_df, eng_df, maps, bad_rows, _rng(seed, "bad_rows"))
        bad.write_csv(out / "_truth" / "bad_rows.csv")
        listed = bad.height
    else:
        (out / "_truth" / "bad_rows.csv").unlink(missing_ok=True)
    for name, df in (("deals", deals_df), ("reps", reps_df), ("engagements", eng_df)):
        say(f"writing {name}.csv ({df.height:,} rows)")
        df.write_csv(out / f"{name}.csv")

    return {
        "out_dir": str(out), "world": world, "seed": seed, "deals": deals, "open_deals": int(d["open"].sum()),
        "engagements": engagements, "reps": reps, "notes_share": notes_share,
        "win_rate": round(float(d["won"][~d["open"]].mean()), 4), "bad_rows_listed": listed,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _deals(n: int, reps: int, seed: int) -> dict[str, np.ndarray]:
    """Deal-level draws: segment, rep, account, amount, lead source, dates."""
    rng = _rng(seed, "deals")
    shares = {k: s.share for k, s in enumerate(S.SEGMENTS)}
    seg = _pick(rng, shares, n)
    rep_weights = 0.6 + 0.8 * _rng(seed, "reps").random(reps)
    rep = rng.choice(reps, size=n, p=rep_weights / rep_weights.sum())
    median = np.array([s.amount_median for s in S.SEGMENTS])[seg]
    sigma = np.array([s.amount_sigma for s in S.SEGMENTS])[seg]
    amount = np.round(median * np.exp(sigma * rng.standard_normal(n)), 2)
    created = rng.integers(0, _HORIZON, n)
    cycle = np.maximum(5, np.round(S.CYCLE_MEDIAN_DAYS * np.exp(S.CYCLE_SIGMA * rng.standard_normal(n)))).astype(int)
    closed = created + cycle
    account = np.zeros(n, dtype=np.int64)
    n_accounts = [max(10, -(-int((seg == k).sum()) // 3)) for k in range(len(S.SEGMENTS))]
    for k, size in enumerate(n_accounts):
        sel = seg == k
        account[sel] = rng.integers(0, size, int(sel.sum()))
    return {
        "seg": seg, "rep": rep, "amount": amount, "account": account, "n_accounts": np.array(n_accounts),
        "lead": _pick(rng, S.LEAD_SOURCE_SHARE, n), "currency": _pick(rng, S.CURRENCIES, n),
        "region": _pick(rng, S.REGIONS, n), "created": created, "closed": closed, "open": closed >= _HORIZON,
    }


def _logit(m: MapIndex, indicators: np.ndarray, amount: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """The planted log-odds of winning for one segment's deals."""
    beta = _betas(m)
    cols = np.nonzero(beta)[0]
    lead_beta = np.array(list(S.LEAD_SOURCE_BETA.values()))
    return (m.spec.intercept + indicators[:, cols].astype(np.float64) @ beta[cols]
            + S.AMOUNT_BETA * np.log(amount / m.spec.amount_median) + lead_beta[lead])


def _betas(m: MapIndex) -> np.ndarray:
    beta = np.zeros(len(m.columns()))
    for kind, item in m.spec.drivers.items():
        beta[m.col(kind, item)] = S.DRIVER_BETA[kind]
    beta[m.col("value_proposition", m.spec.negative)] = S.NEGATIVE_BETA
    return beta


def _account_offsets(d: dict) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(d["n_accounts"])[:-1]])


def _deals_frame(d: dict, deal_ids: pl.Series, rep_ids: pl.Series, maps: list[MapIndex], seed: int) -> pl.DataFrame:
    rng = _rng(seed, "accounts")
    acc_global = _account_offsets(d)[d["seg"]] + d["account"]
    names = pl.concat([
        _table(first, rng.integers(0, len(first), size)) + " " + _table(second, rng.integers(0, len(second), size))
        for (first, second), size in zip((s.account_words for s in S.SEGMENTS), d["n_accounts"].tolist())
    ])
    rng = _rng(seed, "outcome_spellings")
    status = np.where(d["open"], 2, np.where(d["won"], 0, 1))
    spellings, offsets = [], []
    choice = np.zeros(len(status), dtype=np.int64)
    for k, (words, weights) in enumerate(S.OUTCOME_SPELLINGS.values()):
        offsets.append(len(spellings))
        spellings += words
        draw = rng.choice(len(words), size=len(status), p=weights)
        choice = np.where(status == k, offsets[k] + draw, choice)
    cents = np.round(d["amount"] * 100).astype(np.int64)
    amount = pl.select(pl.format("{}.{}", pl.lit(pl.Series(cents // 100)),
                                 pl.lit(pl.Series(cents % 100)).cast(pl.String).str.zfill(2))).to_series()
    return pl.DataFrame({
        "deal_id": deal_ids,
        "account_id": _ids("A", acc_global + 1, 6),
        "account_name": names.gather(acc_global),
        "segment": _table([m.segment for m in maps], d["seg"]),
        "rep_id": rep_ids.gather(d["rep"]),
        "amount": amount,
        "currency": _table(list(S.CURRENCIES), d["currency"]),
        "created_at": _dates(d["created"]),
        "closed_at": _when(d["open"], None, _dates(d["closed"])),
        "outcome": _table(spellings, choice),
        "lead_source": _table(list(S.LEAD_SOURCE_SHARE), d["lead"]),
        "region": _table(list(S.REGIONS), d["region"]),
    })


def _reps_frame(rep_ids: pl.Series, seed: int) -> pl.DataFrame:
    n = rep_ids.len()
    i = np.arange(n)
    managers = ["Helena Vogt", "Marcus Reed", "Aiko Sato"]
    hired = _rng(seed, "reps_hired").integers(0, 10 * 365, n) - 12 * 365  # 2012..2021
    return pl.DataFrame({
        "rep_id": rep_ids,
        "name": [f"{S.FIRST_NAMES[k % len(S.FIRST_NAMES)]} {S.LAST_NAMES[(7 * k + 3) % len(S.LAST_NAMES)]}" for k in i],
        "team": _table(S.TEAMS, i % len(S.TEAMS)),
        "manager": _table(managers, i % len(S.TEAMS)),
        "region": _table(S.REP_REGIONS, i % len(S.REP_REGIONS)),
        "hired_at": _dates(hired),
    })


def _engagements_frame(d: dict, behaviour: list, maps: list[MapIndex], deal_ids: pl.Series,
                       seed: int) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Merge the segments' engagement rows, give them dates, contacts and messy titles, and format them.
    Also returns every (row, kind, item_id) the rows carry and the map index of each row."""
    acc_global = _account_offsets(d)[d["seg"]] + d["account"]
    titles, roles, item_ids = [], [], {k: [] for k in ("value_proposition", "issue", "question")}
    parts: dict[str, list] = {k: [] for k in ("deal", "role", "title", "slot")}
    pairs: dict[str, list] = {k: [] for k in item_ids}
    row_offset = 0
    for k, (m, (idx, b)) in enumerate(zip(maps, behaviour)):
        rng = _rng(seed, f"titles:{m.map_id}")
        n_acc = int(d["n_accounts"][k])
        # Each (account, role) contact keeps one title: usually one the patterns map, sometimes a typo.
        per_role = []
        for role in m.ids["role"]:
            good, typo = m.spec.titles[role]
            w = np.array([(1 - S.TYPO_SHARE) / len(good)] * len(good) + [S.TYPO_SHARE / len(typo)] * len(typo))
            per_role.append(len(titles) + rng.choice(len(w), size=n_acc, p=w))
            titles += good + typo
        contact_title = np.column_stack(per_role)
        other = rng.integers(0, len(m.spec.other_titles), len(b.row_deal))
        acc = d["account"][idx][b.row_deal]
        is_role = b.row_role >= 0
        parts["deal"].append(idx[b.row_deal])
        parts["role"].append(np.where(is_role, len(roles) + b.row_role, -1))
        parts["title"].append(np.where(is_role, contact_title[acc, np.maximum(b.row_role, 0)], len(titles) + other))
        parts["slot"].append(np.where(is_role, b.row_role, 10 + other))
        titles += m.spec.other_titles
        roles += m.ids["role"]
        for kind, (row, item) in b.pairs.items():
            pairs[kind].append((row + row_offset, item + len(item_ids[kind])))
            item_ids[kind] += m.ids[kind]
        row_offset += len(b.row_deal)
    deal, role, title, slot = (np.concatenate(parts[k]) for k in ("deal", "role", "title", "slot"))
    n = len(deal)

    rng = _rng(seed, "engagements")
    channel = _pick(rng, S.CHANNELS, n)
    end = np.minimum(d["closed"], _HORIZON - 1)
    day = d["created"][deal] + (rng.random(n) * (end - d["created"] + 1)[deal]).astype(np.int64)
    email = channel == list(S.CHANNELS).index("email")
    tod = np.where(email, 7 * 3600 + rng.integers(0, 12 * 3600, n), 8 * 3600 + 900 * rng.integers(0, 38, n))
    order = np.lexsort((tod, day, deal))  # engagement ids follow time within each deal
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    deal, role, title, slot, channel, day, tod = (a[order] for a in (deal, role, title, slot, channel, day, tod))
    date_only = rng.random(n) < S.DATE_ONLY_SHARE
    direct = (role >= 0) & (rng.random(n) < S.ROLE_ID_SHARE)
    no_title = direct & (rng.random(n) < 0.3)
    no_contact = rng.random(n) < 0.03
    opener = rng.integers(0, len(S.NOTE_OPENERS), n)
    tail = rng.integers(0, len(S.NOTE_TAILS), n)

    clock = _table([f"T{h:02d}:{m:02d}:{x:02d}" for h in range(24) for m in range(60) for x in range(60)], tod)
    date = _dates(day)
    item_pairs = _item_pairs(pairs, item_ids, rank)
    columns = {
        "engagement_id": _ids("E", np.arange(1, n + 1), 8),
        "deal_id": deal_ids.gather(deal),
        "occurred_at": _when(date_only, date, date + clock),
        "contact_id": _when(no_contact, None, _ids("C", acc_global[deal] * 20 + slot, 8)),
        "contact_title": _when(no_title, None, _table(titles, title)),
        "role_id": _table(roles + [""], np.where(direct, role, len(roles))),
        "channel": _table(list(S.CHANNELS), channel),
    }
    for kind, column in (("value_proposition", "value_propositions"), ("issue", "issues"), ("question", "questions")):
        rows = rank[np.concatenate([r for r, _ in pairs[kind]])]
        width = len(item_ids[kind])
        key = np.sort(rows * width + np.concatenate([i for _, i in pairs[kind]]))
        columns[column] = _join_per_row(key // width, key % width, item_ids[kind], n)
    no_note = np.array([o == "" for o in S.NOTE_OPENERS])[opener]
    columns["notes"] = _when(no_note, None, _table(S.NOTE_OPENERS, opener) + _table(S.NOTE_TAILS, tail))
    return pl.DataFrame(columns).with_columns(pl.all().replace("", None)), item_pairs, d["seg"][deal]


def _item_pairs(pairs: dict[str, list], item_ids: dict[str, list[str]], rank: np.ndarray) -> pl.DataFrame:
    """(row, kind, item_id) for every item of every engagement row (rows in their final order)."""
    frames = []
    for kind, parts in pairs.items():
        rows = np.concatenate([r for r, _ in parts])
        frames.append(pl.DataFrame({"row": rank[rows], "kind": pl.repeat(kind, len(rows), eager=True),
                                    "item_id": _table(item_ids[kind], np.concatenate([i for _, i in parts]))}))
    return pl.concat(frames)


def _join_per_row(row: np.ndarray, code: np.ndarray, ids: list[str], n: int) -> pl.Series:
    """``;``-joined ids per row from (row, code) pairs sorted by row; null where a row has none."""
    first = np.diff(row, prepend=-1) != 0
    pos = np.cumsum(first) - 1  # index of each pair's row among rows with ids
    rank = np.arange(len(row)) - np.nonzero(first)[0][pos]  # position of each pair within its row
    text = _table(ids, code[first])
    for k in range(1, int(rank.max()) + 1 if len(rank) else 0):
        sel = rank == k
        text = text.scatter(pos[sel], text.gather(pos[sel]) + ";" + _table(ids, code[sel]))
    return pl.repeat(None, n, dtype=pl.String, eager=True).scatter(row[first], text)


def _when(mask: np.ndarray, yes: pl.Series | None, no: pl.Series) -> pl.Series:
    """Element-wise ``yes if mask else no`` (``yes=None`` blanks)."""
    then = pl.lit(None, dtype=pl.String) if yes is None else pl.lit(yes)
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(then).otherwise(pl.lit(no))).to_series().rename("")


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


def _lookalike(m: MapIndex, z: np.ndarray, kind: str, item: str) -> dict:
    """A look-alike, the driver it travels with, and its deal-level correlation with every driver."""
    def corr(other_kind: str, other: str) -> float:
        return round(float(np.corrcoef(z[:, m.col(kind, item)], z[:, m.col(other_kind, other)])[0, 1]), 4)

    partner = S.LOOKALIKE_PARTNER[kind]
    return {"kind": kind, "item_id": item, "travels_with": m.spec.drivers[partner],
            "correlation": corr(partner, m.spec.drivers[partner]),
            "correlation_with_drivers": {i: corr(k, i) for k, i in m.spec.drivers.items()}}


def _truth(world: str, seed: int, deals: int, reps: int, rep_ids: pl.Series, maps: list[MapIndex],
           behaviour: list, d: dict, planted: bool) -> dict:
    """What was planted and what it produced, for tests and for judging the analysis."""
    habits = world != "flat_reps"
    segments = {}
    for m, (idx, b) in zip(maps, behaviour):
        z = b.indicators
        beta = _betas(m) if planted else np.zeros(z.shape[1])
        closed = ~d["open"][idx]
        tags = {m.col(k, i): "driver" for k, i in m.spec.drivers.items()}
        tags[m.col("value_proposition", m.spec.negative)] = "negative"
        tags |= {m.col(k, i): "lookalike" for k, i in m.spec.lookalikes.items()}
        owners = {(k, item): m.ids["role"][m.owner[k][j]] for k in m.owner for j, item in enumerate(m.ids[k])}
        segments[m.segment] = {
            "map_id": m.map_id,
            "intercept": m.spec.intercept if planted else round(float(logit(S.NOISE_WIN_PROBABILITY)), 6),
            "amount_median": m.spec.amount_median,
            "deals": len(idx), "closed_deals": int(closed.sum()),
            "win_rate": round(float(d["won"][idx][closed].mean()), 4),
            "drivers": dict(m.spec.drivers) if planted else {},
            "negative": m.spec.negative if planted else None,
            "lookalikes": [_lookalike(m, z, k, i) for k, i in m.spec.lookalikes.items()],
            "winning_question_uncovers": _uncover_rates(m, b),
            "items": [
                {"kind": k, "item_id": i, "role_id": i if k == "role" else owners[(k, i)],
                 "beta": float(beta[c]), "planted": tags.get(c, "noise") if planted else "noise",
                 "deal_rate": round(float(z[:, c].mean()), 4)}
                for c, (k, i) in enumerate(m.columns())
            ],
        }
    rep_of = {m.segment: d["rep"][idx] for m, (idx, _) in zip(maps, behaviour)}
    gaps = []
    for number, kind in (S.GAPS.items() if habits else []):
        if number > reps:
            continue
        items, rates = {}, {}
        for m, (idx, b) in zip(maps, behaviour):
            item = m.spec.drivers[kind]
            has = b.indicators[:, m.col(kind, item)]
            mine = rep_of[m.segment] == number - 1
            items[m.segment] = item
            rates[m.segment] = {"rep": round(float(has[mine].mean()), 4) if mine.any() else None,
                                "other_reps": round(float(has[~mine].mean()), 4)}
        gaps.append({"rep_id": rep_ids[number - 1], "kind": kind, "items": items, "rates": rates})
    strong = [k - 1 for k in S.STRONG_REPS if k <= reps] if habits else []
    coverage = {}  # share of the map's key-player roles met per deal
    for m, (idx, b) in zip(maps, behaviour):
        met = b.indicators[:, : m.n_roles][:, m.key_player].mean(1)
        is_strong = np.isin(rep_of[m.segment], strong)
        coverage[m.segment] = {"strong_reps": round(float(met[is_strong].mean()), 4) if is_strong.any() else None,
                               "other_reps": round(float(met[~is_strong].mean()), 4)}
    return {
        "world": world, "seed": seed, "deals": deals, "reps": reps,
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
        "segments": segments,
        "reps_habits": {
            "strong_reps": [rep_ids[k] for k in strong],
            "strong_shift_on_key_players": S.STRONG_SHIFT if habits else 0.0,
            "key_player_coverage": coverage,
            "gap_shift": S.GAP_SHIFT if habits else 0.0,
            "gaps": gaps,
        },
        "open_deals": int(d["open"].sum()),
        "win_rate_closed": round(float(d["won"][~d["open"]].mean()), 4),
    }
