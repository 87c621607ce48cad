"""``generate()``: a deterministic CRM export (deals, reps, engagements) around the packaged value maps."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from . import spec as S
from .bad_rows import inject
from .behaviour import Segment, logit, rep_shifts, sigmoid, simulate
from .columns import HORIZON, dates, ids, pick, stream, table, when
from .engagements import engagements_frame
from .mapindex import MapIndex, load_map
from .notes import write_notes
from .truth import truth


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
    _check_arguments(deals, world, bad_rows, reps, notes_share)
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    out = Path(out_dir)
    maps = _copy_maps(out)
    say(f"simulating {deals:,} deals ({world})")
    d, behaviour = _simulate(maps, deals, reps, seed, world)
    say("building engagements")
    rep_ids = ids("r", np.arange(1, reps + 1), max(2, len(str(reps))))
    deal_ids = ids("D", np.arange(1, deals + 1), 7)
    eng, item_pairs, map_of_row = engagements_frame(d, behaviour, maps, deal_ids, seed)
    eng, items_truth = _add_notes(eng, item_pairs, maps, map_of_row, seed, notes_share, notes_wording, say)
    _write_listing(out / "_truth" / "engagement_items.csv", items_truth)
    say("writing truth")
    _write_truth(out, truth(world, seed, rep_ids, maps, behaviour, d), d, deal_ids, maps)
    files = {"deals": _deals_frame(d, deal_ids, rep_ids, maps, seed), "reps": _reps_frame(rep_ids, seed),
             "engagements": eng}
    files, bad = _add_bad_rows(files, maps, bad_rows, seed, say)
    _write_listing(out / "_truth" / "bad_rows.csv", bad)
    for name, df in files.items():
        say(f"writing {name}.csv ({df.height:,} rows)")
        df.write_csv(out / f"{name}.csv")
    return {
        "out_dir": str(out), "world": world, "seed": seed, "deals": deals, "open_deals": int(d["open"].sum()),
        "engagements": eng.height, "reps": reps, "notes_share": notes_share,
        "win_rate": round(float(d["won"][~d["open"]].mean()), 4), "bad_rows_listed": 0 if bad is None else bad.height,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _check_arguments(deals: int, world: str, bad_rows: int, reps: int, notes_share: float) -> None:
    """Refuse a world, share or size the generator cannot make."""
    if world not in S.WORLDS:
        raise ValueError(f"world must be one of {', '.join(S.WORLDS)}, not {world!r}")
    if not 0.0 <= notes_share <= 1.0:
        raise ValueError(f"notes_share must be between 0 and 1, not {notes_share}")
    if deals < 20 or reps < 1 or bad_rows < 0 or bad_rows > deals // 4:
        raise ValueError("need deals >= 20, reps >= 1 and 0 <= bad_rows <= deals / 4")


def _copy_maps(out: Path) -> list[MapIndex]:
    """Create ``out``/maps and ``out``/_truth, copy the packaged maps in byte for byte, and return them indexed."""
    (out / "maps").mkdir(parents=True, exist_ok=True)
    (out / "_truth").mkdir(parents=True, exist_ok=True)
    maps = [load_map(s) for s in S.SEGMENTS]
    for m in maps:
        (out / "maps" / m.spec.map_file).write_bytes(m.raw)
    return maps


def _simulate(maps: list[MapIndex], deals: int, reps: int, seed: int,
              world: str) -> tuple[dict, list[Segment]]:
    """Draw the deals, what their reps did on them (per segment) and how each deal ended."""
    d = _deals(deals, reps, seed)
    behaviour = _simulate_behaviour(d, maps, reps, seed, habits=world != "flat_reps")
    _draw_outcomes(d, maps, behaviour, seed, planted=world != "noise")
    return d, behaviour


def _simulate_behaviour(d: dict, maps: list[MapIndex], reps: int, seed: int,
                        habits: bool) -> list[Segment]:
    """Per segment, its deals and who their reps met and what they pitched, asked and uncovered."""
    behaviour = []
    for k, m in enumerate(maps):
        idx = np.nonzero(d["seg"] == k)[0]
        role_shift, pitch_shift = rep_shifts(m, reps, habits=habits)
        rng = stream(seed, f"behaviour:{m.map_id}")
        behaviour.append((idx, simulate(m, d["rep"][idx], role_shift, pitch_shift, rng)))
    return behaviour


def _draw_outcomes(d: dict, maps: list[MapIndex], behaviour: list[Segment], seed: int,
                   planted: bool) -> None:
    """Add each deal's true win probability (``p``, from the planted model or a coin) and whether it was won."""
    logits = np.zeros(len(d["seg"]))
    for m, (idx, b) in zip(maps, behaviour):
        if planted:
            logits[idx] = _logit(m, b.indicators, d["amount"][idx], d["lead"][idx])
        else:
            logits[idx] = logit(S.NOISE_WIN_PROBABILITY)
    d["p"] = sigmoid(logits)
    d["won"] = stream(seed, "outcomes").random(len(d["seg"])) < d["p"]


def _add_notes(eng: pl.DataFrame, item_pairs: pl.DataFrame, maps: list[MapIndex], map_of_row: np.ndarray,
               seed: int, share: float, wording: str,
               say: Callable[[str], None]) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """In a notes world (``share`` > 0), the engagements with notes naming their items and the listing of
    every item; else the engagements as they are and no listing."""
    if not share:
        return eng, None
    say(f"writing notes ({share:.0%} of engagements with notes only, {wording} wording)")
    return write_notes(eng, item_pairs, maps, map_of_row, stream(seed, "notes"), share, wording)


def _add_bad_rows(files: dict[str, pl.DataFrame], maps: list[MapIndex], bad_rows: int, seed: int,
                  say: Callable[[str], None]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame | None]:
    """The files with ``bad_rows`` rule-breaking rows mixed in, and their listing (none for 0)."""
    if not bad_rows:
        return files, None
    say(f"injecting {bad_rows} bad rows")
    *frames, bad = inject(*files.values(), maps, bad_rows, stream(seed, "bad_rows"))
    return dict(zip(files, frames)), bad


def _write_truth(out: Path, world_truth: dict, d: dict, deal_ids: pl.Series, maps: list[MapIndex]) -> None:
    """truth.json, and deal_truth.csv with every deal's true win probability."""
    text = json.dumps(world_truth, indent=2, ensure_ascii=False) + "\n"
    (out / "_truth" / "truth.json").write_text(text, encoding="utf-8")
    pl.DataFrame({
        "deal_id": deal_ids, "segment": table([m.segment for m in maps], d["seg"]),
        "true_win_probability": np.round(d["p"], 6), "is_open": d["open"],
    }).write_csv(out / "_truth" / "deal_truth.csv")


def _write_listing(path: Path, listing: pl.DataFrame | None) -> None:
    """Write a truth listing, or remove the one an earlier run left when this world has none."""
    if listing is None:
        path.unlink(missing_ok=True)
    else:
        listing.write_csv(path)


def _deals(n: int, reps: int, seed: int) -> dict[str, np.ndarray]:
    """Deal-level draws: segment, rep, account (within the segment and overall), amount, lead source, dates."""
    rng = stream(seed, "deals")
    shares = {k: s.share for k, s in enumerate(S.SEGMENTS)}
    seg = pick(rng, shares, n)
    rep_weights = 0.6 + 0.8 * stream(seed, "reps").random(reps)
    rep = rng.choice(reps, size=n, p=rep_weights / rep_weights.sum())
    median = np.array([s.amount_median for s in S.SEGMENTS])[seg]
    sigma = np.array([s.amount_sigma for s in S.SEGMENTS])[seg]
    amount = np.round(median * np.exp(sigma * rng.standard_normal(n)), 2)
    created = rng.integers(0, HORIZON, n)
    cycle = np.maximum(5, np.round(S.CYCLE_MEDIAN_DAYS * np.exp(S.CYCLE_SIGMA * rng.standard_normal(n)))).astype(int)
    closed = created + cycle
    account = np.zeros(n, dtype=np.int64)
    n_accounts = [max(10, -(-int((seg == k).sum()) // 3)) for k in range(len(S.SEGMENTS))]
    for k, size in enumerate(n_accounts):
        sel = seg == k
        account[sel] = rng.integers(0, size, int(sel.sum()))
    first_account = np.cumsum([0] + n_accounts[:-1])  # accounts are numbered segment after segment
    return {
        "seg": seg, "rep": rep, "amount": amount, "account": account, "n_accounts": np.array(n_accounts),
        "account_number": first_account[seg] + account,
        "lead": pick(rng, S.LEAD_SOURCE_SHARE, n), "currency": pick(rng, S.CURRENCIES, n),
        "region": pick(rng, S.REGIONS, n), "created": created, "closed": closed, "open": closed >= HORIZON,
    }


def _logit(m: MapIndex, indicators: np.ndarray, amount: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """The planted log-odds of winning for one segment's deals."""
    beta = m.betas()
    cols = np.nonzero(beta)[0]
    lead_beta = np.array(list(S.LEAD_SOURCE_BETA.values()))
    return (m.spec.intercept + indicators[:, cols].astype(np.float64) @ beta[cols]
            + S.AMOUNT_BETA * np.log(amount / m.spec.amount_median) + lead_beta[lead])


def _deals_frame(d: dict, deal_ids: pl.Series, rep_ids: pl.Series, maps: list[MapIndex], seed: int) -> pl.DataFrame:
    """deals.csv: named accounts, amounts as text with cents, and outcomes in the CRM's many spellings."""
    return pl.DataFrame({
        "deal_id": deal_ids,
        "account_id": ids("A", d["account_number"] + 1, 6),
        "account_name": _account_names(d, seed).gather(d["account_number"]),
        "segment": table([m.segment for m in maps], d["seg"]),
        "rep_id": rep_ids.gather(d["rep"]),
        "amount": _money(d["amount"]),
        "currency": table(list(S.CURRENCIES), d["currency"]),
        "created_at": dates(d["created"]),
        "closed_at": when(d["open"], None, dates(d["closed"])),
        "outcome": _outcome_spellings(d, seed),
        "lead_source": table(list(S.LEAD_SOURCE_SHARE), d["lead"]),
        "region": table(list(S.REGIONS), d["region"]),
    })


def _account_names(d: dict, seed: int) -> pl.Series:
    """A name per account, numbered as ``account_number``: two words from its segment's lists."""
    rng = stream(seed, "accounts")
    return pl.concat([
        table(first, rng.integers(0, len(first), size)) + " " + table(second, rng.integers(0, len(second), size))
        for (first, second), size in zip((s.account_words for s in S.SEGMENTS), d["n_accounts"].tolist())
    ])


def _money(amount: np.ndarray) -> pl.Series:
    """Amounts as text with two decimals (``1234.50``), exact to the cent."""
    cents = np.round(amount * 100).astype(np.int64)
    return pl.select(pl.format("{}.{}", pl.lit(pl.Series(cents // 100)),
                               pl.lit(pl.Series(cents % 100)).cast(pl.String).str.zfill(2))).to_series()


def _outcome_spellings(d: dict, seed: int) -> pl.Series:
    """Each deal's outcome (won, lost or open) in one of the spellings CRMs use, drawn with their weights."""
    rng = stream(seed, "outcome_spellings")
    status = np.where(d["open"], 2, np.where(d["won"], 0, 1))
    spellings, offsets = [], []
    choice = np.zeros(len(status), dtype=np.int64)
    for k, (words, weights) in enumerate(S.OUTCOME_SPELLINGS.values()):
        offsets.append(len(spellings))
        spellings += words
        draw = rng.choice(len(words), size=len(status), p=weights)
        choice = np.where(status == k, offsets[k] + draw, choice)
    return table(spellings, choice)


def _reps_frame(rep_ids: pl.Series, seed: int) -> pl.DataFrame:
    """reps.csv: names, teams, managers and regions in turn, and a hiring date."""
    n = rep_ids.len()
    i = np.arange(n)
    managers = ["Helena Vogt", "Marcus Reed", "Aiko Sato"]
    hired = stream(seed, "reps_hired").integers(0, 10 * 365, n) - 12 * 365  # 2012..2021
    return pl.DataFrame({
        "rep_id": rep_ids,
        "name": [f"{S.FIRST_NAMES[k % len(S.FIRST_NAMES)]} {S.LAST_NAMES[(7 * k + 3) % len(S.LAST_NAMES)]}" for k in i],
        "team": table(S.TEAMS, i % len(S.TEAMS)),
        "manager": table(managers, i % len(S.TEAMS)),
        "region": table(S.REP_REGIONS, i % len(S.REP_REGIONS)),
        "hired_at": dates(hired),
    })


