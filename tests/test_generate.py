"""The generator: determinism, contract shape, planted signal, bad-row listing, and seeds/ never drifting."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
import yaml

from valuedata.generate import generate
from valuedata.generate import spec as S
from valuedata.generate.bad_rows import RULES

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED_ARGS = {"deals": 4000, "seed": 42, "bad_rows": 18}  # how seeds/ is made (docs/generator.md)
OUTCOMES = {"won": "won", "closed won": "won", "closedwon": "won", "lost": "lost", "closed lost": "lost",
            "closedlost": "lost", "open": "open"}
CHANNELS = {"meeting", "call", "email", "demo", "other"}
COLUMNS = {
    "deals.csv": ["deal_id", "account_id", "account_name", "segment", "rep_id", "amount", "currency", "created_at",
                  "closed_at", "outcome", "lead_source", "region"],
    "reps.csv": ["rep_id", "name", "team", "manager", "region", "hired_at"],
    "engagements.csv": ["engagement_id", "deal_id", "occurred_at", "contact_id", "contact_title", "role_id", "channel",
                        "value_propositions", "issues", "questions", "notes"],
}
ITEM_COLUMNS = {"value_propositions": "value_proposition", "issues": "issue", "questions": "question"}


# ---------------------------------------------------------------- helpers: a tiny reader of the contract


def files_in(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def load_maps(root: Path) -> dict[str, dict]:
    """segment -> {"roles": [role dicts], kind -> set of ids}."""
    out = {}
    for path in sorted((root / "maps").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        entry = {"map_id": doc["map_id"], "roles": doc["roles"], "role": {r["role_id"] for r in doc["roles"]}}
        for column, kind in ITEM_COLUMNS.items():
            entry[kind] = {i["id"] for r in doc["roles"] for i in r[column]}
        out[doc["segment"]] = entry
    return out


def match_role(title: str | None, roles: list[dict]) -> str | None:
    """The contract's rule: case-insensitive substring; longest pattern wins; ties go to the first role."""
    best, length = None, 0
    for role in roles:
        for pattern in role["title_patterns"]:
            if title and pattern.lower() in title.lower() and len(pattern) > length:
                best, length = role["role_id"], len(pattern)
    return best


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(physical line, row) for every record; fails if any record spans lines."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = []
        for row in reader:
            assert reader.line_num == len(rows) + 2, f"{path.name}: record {len(rows) + 1} spans lines"
            rows.append((reader.line_num, row))
    return rows


def listed_bad(root: Path) -> dict[str, set[int]]:
    path = root / "_truth" / "bad_rows.csv"
    out: dict[str, set[int]] = {f: set() for f in COLUMNS}
    if path.exists():
        for row in pl.read_csv(path).iter_rows(named=True):
            out[row["file"]].add(row["line"])
    return out


def good_frame(root: Path, name: str) -> pl.DataFrame:
    """A file as strings, without the rows listed in bad_rows.csv."""
    df = pl.read_csv(root / name, infer_schema=False).with_row_index("line", offset=2)
    return df.filter(~pl.col("line").is_in(sorted(listed_bad(root)[name])))


def deal_indicators(root: Path, segment: str) -> tuple[pl.DataFrame, list[str]]:
    """One row per closed deal of ``segment``: won, controls, and one 0/1 column per role / item seen."""
    maps = load_maps(root)[segment]
    deals = good_frame(root, "deals.csv").filter(pl.col("segment") == segment)
    eng = good_frame(root, "engagements.csv").join(deals.select("deal_id"), on="deal_id")
    titles = eng["contact_title"].unique().to_list()
    title_role = pl.DataFrame({"contact_title": titles, "mapped": [match_role(t, maps["roles"]) for t in titles]},
                              schema={"contact_title": pl.String, "mapped": pl.String})
    eng = eng.join(title_role, on="contact_title", how="left", nulls_equal=True).with_columns(
        role=pl.coalesce("role_id", "mapped"))
    long = pl.concat([eng.select("deal_id", item=pl.col("role")).drop_nulls()] + [
        eng.select("deal_id", item=pl.col(c).str.split(";")).explode("item").drop_nulls() for c in ITEM_COLUMNS])
    wide = (long.unique().with_columns(one=pl.lit(1.0))
            .pivot(on="item", index="deal_id", values="one").fill_null(0.0))
    items = sorted(c for c in wide.columns if c != "deal_id")
    frame = (deals.with_columns(status=pl.col("outcome").str.to_lowercase().replace_strict(OUTCOMES))
             .filter(pl.col("status") != "open")
             .join(wide, on="deal_id", how="left").fill_null(0.0)
             .with_columns(won=(pl.col("status") == "won").cast(pl.Float64),
                           log_amount=pl.col("amount").cast(pl.Float64).log(),
                           **{f"lead_{s}": (pl.col("lead_source") == s).cast(pl.Float64)
                              for s in ("inbound", "partner", "event")}))
    return frame, items


def fit(frame: pl.DataFrame, items: list[str]):
    controls = ["log_amount", "lead_inbound", "lead_partner", "lead_event"]
    x = sm.add_constant(frame.select(items + controls).to_pandas())
    return sm.Logit(frame["won"].to_numpy(), x).fit(disp=0, maxiter=200)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fresh")
    generate(out, **SEED_ARGS)
    return out


@pytest.fixture(scope="module")
def noisy(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("noise")
    generate(out, deals=4000, seed=42, world="noise")
    return out


# ---------------------------------------------------------------- tests


def test_seeds_equal_a_fresh_generation(fresh):
    assert files_in(SEEDS) == files_in(fresh), "seeds/ drifted: regenerate it (docs/generator.md)"


def test_same_arguments_give_identical_bytes(tmp_path):
    for run in ("a", "b"):
        generate(tmp_path / run, deals=800, seed=3, world="flat_reps", bad_rows=20)
    assert files_in(tmp_path / "a") == files_in(tmp_path / "b")
    habits = json.loads((tmp_path / "a" / "_truth" / "truth.json").read_text(encoding="utf-8"))["reps_habits"]
    assert habits["strong_reps"] == [] and habits["gaps"] == []  # flat_reps: every rep behaves alike
    generate(tmp_path / "c", deals=800, seed=4, world="flat_reps", bad_rows=20)
    assert files_in(tmp_path / "a")["deals.csv"] != files_in(tmp_path / "c")["deals.csv"]


# Hashes of small worlds that between them take every option and branch of the generator (notes banks,
# bad rows with more rep cases than reps, each world). A refactor must leave them unchanged. When the
# generator changes on purpose, replace a hash with the one the failing assertion prints and regenerate
# seeds/ (docs/generator.md).
PINNED_WORLDS = {
    "b378bfadc6a9467c9c9035bfe7011e72d37f5809472705947ed09acf007f6292":
        {"seed": 5, "bad_rows": 20, "notes_share": 0.5, "notes_wording": "split"},
    "7e1521fba5d45d0473112ba4cb134fce14959a583b55303896231328c8b510d4":
        {"seed": 6, "world": "noise", "reps": 5, "bad_rows": 60},
    "76eaf81810793ad56b134e5c1e333fc6326c079e444d89b490f0ea7dff126702":
        {"seed": 7, "world": "flat_reps", "notes_share": 0.3},
}


@pytest.mark.parametrize("pinned", PINNED_WORLDS)
def test_output_is_pinned(tmp_path, pinned):
    generate(tmp_path, deals=300, **PINNED_WORLDS[pinned])
    digest = hashlib.sha256()
    for name, data in files_in(tmp_path).items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    assert digest.hexdigest() == pinned, f"generator output changed for {PINNED_WORLDS[pinned]}"


def test_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="world"):
        generate(tmp_path, deals=100, world="chaos")


def test_maps_follow_the_contract(fresh):
    for path in sorted((fresh / "maps").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert re.fullmatch(r"[a-z0-9_-]+", doc["map_id"]) and doc["segment"]
        ids, issues = [], set()
        for role in doc["roles"]:
            assert re.fullmatch(r"[a-z0-9_]+", role["role_id"])
            assert role["title_patterns"] and all(p == p.lower() for p in role["title_patterns"])
            for kind in ("objectives", "metrics", "strategies", "issues", "value_propositions", "questions"):
                assert 4 <= len(role[kind]) <= 8
                ids += [i["id"] for i in role[kind]]
            issues |= {i["id"] for i in role["issues"]}
            assert any(i.get("impact") for i in role["issues"])
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate ids"
        for role in doc["roles"]:
            for vp in role["value_propositions"]:
                assert set(vp["addresses"]) <= issues and vp["statement"]
            for q in role["questions"]:
                assert set(q["uncovers"]) <= issues and q["text"]
        assert len({r["role_id"] for r in doc["roles"]}) == len(doc["roles"])


def test_titles_map_as_designed(fresh):
    maps = load_maps(fresh)
    for seg_spec in S.SEGMENTS:
        roles = next(m for m in maps.values() if m["map_id"] == Path(seg_spec.map_file).stem)["roles"]
        for role_id, (mapped, typos) in seg_spec.titles.items():
            assert [match_role(t, roles) for t in mapped] == [role_id] * len(mapped)
            assert [match_role(t, roles) for t in typos] == [None] * len(typos)
        assert [match_role(t, roles) for t in seg_spec.other_titles] == [None] * len(seg_spec.other_titles)


def test_files_follow_the_contract(fresh):
    maps = load_maps(fresh)
    for name, columns in COLUMNS.items():
        assert read_rows(fresh / name)[0][1].keys() == set(columns)
        assert pl.read_csv(fresh / name, infer_schema=False).columns == columns
    reps = good_frame(fresh, "reps.csv")
    deals = good_frame(fresh, "deals.csv")
    eng = good_frame(fresh, "engagements.csv")
    assert reps["rep_id"].to_list() == [f"r{i:02d}" for i in range(1, 25)]
    assert deals["deal_id"].str.contains(r"^D\d{7}$").all() and deals["deal_id"].is_unique().all()
    assert eng["engagement_id"].str.contains(r"^E\d{8}$").all() and eng["engagement_id"].is_unique().all()
    assert deals["rep_id"].is_in(reps["rep_id"].implode()).all()
    status = deals["outcome"].str.to_lowercase().replace_strict(OUTCOMES)
    assert ((status == "open") == deals["closed_at"].is_null()).all()
    assert 0.12 < (status == "open").mean() < 0.18
    assert (deals["closed_at"].fill_null("9999") >= deals["created_at"]).all()
    assert deals["created_at"].min() >= "2024-01-01" and deals["created_at"].max() <= "2026-10-31"
    assert deals["outcome"].n_unique() >= 8 and set(deals["lead_source"]) == set(S.LEAD_SOURCE_BETA)
    assert 0.50 < (deals["segment"] == "discrete-manufacturing").mean() < 0.60
    assert set(deals["currency"]) == {"USD", "EUR", "GBP"} and (deals["amount"].cast(pl.Float64) > 0).all()

    per_deal = eng.group_by("deal_id").len()
    assert per_deal.height == deals.height and per_deal["len"].is_between(2, 9).all()
    assert 4.5 < per_deal["len"].mean() < 5.5
    assert eng["channel"].drop_nulls().is_in(sorted(CHANNELS)).all()
    window = eng.join(deals.select("deal_id", "segment", "created_at", "closed_at"), on="deal_id")
    day = window["occurred_at"].str.slice(0, 10)
    assert (day >= window["created_at"]).all() and (day <= window["closed_at"].fill_null("2026-10-31")).all()
    assert window["occurred_at"].str.contains("T").mean() > 0.6 and not window["occurred_at"].str.contains("T").all()
    assert 0.07 < eng["role_id"].is_not_null().mean() < 0.13
    for row in window.iter_rows(named=True):
        m = maps[row["segment"]]
        assert row["role_id"] is None or row["role_id"] in m["role"]
        for column, kind in ITEM_COLUMNS.items():
            assert set((row[column] or "").split(";")) - {""} <= m[kind], row
    notes = eng["notes"].drop_nulls()
    assert notes.str.contains(",").any() and notes.str.contains('"').any()
    assert (notes.str.len_bytes() > notes.str.len_chars()).any()  # non-ASCII


def test_titles_are_messy_but_mostly_mapped(fresh):
    maps = load_maps(fresh)
    eng = good_frame(fresh, "engagements.csv").join(good_frame(fresh, "deals.csv").select("deal_id", "segment"),
                                                    on="deal_id")
    titles = eng.group_by("contact_title", "segment").len()
    mapped = [match_role(t, maps[s]["roles"]) is not None for t, s in titles.select("contact_title", "segment").rows()]
    share = titles.filter(pl.Series(mapped))["len"].sum() / eng.height
    assert 0.7 < share < 0.95
    assert eng["contact_title"].null_count() > 0 and eng["contact_title"].n_unique() > 100


def test_truth_records_the_planted_world(fresh):
    truth = json.loads((fresh / "_truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth["world"] == "planted" and truth["deals"] == 4000
    for segment in truth["segments"].values():
        kinds = {i["planted"] for i in segment["items"]}
        assert kinds == {"driver", "negative", "lookalike", "noise"}
        assert min(i["deal_rate"] for i in segment["items"]) >= 0.05
        for look in segment["lookalikes"]:
            assert 0.4 <= look["correlation"] <= 0.6, look
    gaps = {g["rep_id"]: g for g in truth["reps_habits"]["gaps"]}
    assert set(gaps) == {"r07", "r12", "r18"} and truth["reps_habits"]["strong_reps"] == ["r03", "r10", "r15", "r22"]
    for gap in gaps.values():
        for rates in gap["rates"].values():
            assert rates["rep"] < rates["other_reps"] / 3
    for coverage in truth["reps_habits"]["key_player_coverage"].values():
        assert coverage["strong_reps"] > coverage["other_reps"] + 0.05
    deal_truth = pl.read_csv(fresh / "_truth" / "deal_truth.csv")
    assert deal_truth.columns == ["deal_id", "segment", "true_win_probability", "is_open"]
    assert deal_truth.height == 4000 and deal_truth["true_win_probability"].is_between(0, 1).all()


@pytest.mark.parametrize("segment", ["discrete-manufacturing", "food-processing"])
def test_planted_signal_is_recoverable(fresh, segment):
    truth = json.loads((fresh / "_truth" / "truth.json").read_text(encoding="utf-8"))["segments"][segment]
    frame, items = deal_indicators(fresh, segment)
    result = fit(frame, items)
    for item in truth["drivers"].values():
        assert result.params[item] > 0 and result.pvalues[item] < 0.01, item
    assert result.params[truth["negative"]] < 0 and result.pvalues[truth["negative"]] < 0.01
    weakest = min(result.params[item] for item in truth["drivers"].values())
    for look in truth["lookalikes"]:  # they win more in raw terms; adjusted, they fall below every driver
        item = look["item_id"]
        won = frame.group_by(item).agg(pl.col("won").mean()).sort(item)["won"]
        raw_log_or = np.log(won[1] / (1 - won[1])) - np.log(won[0] / (1 - won[0]))
        assert raw_log_or > 0.2, (item, raw_log_or)
        # p > 0.001, not 0.01: with 8 look-alikes, ~8% of seeds show one at p < 0.01 by chance (seed 42 does).
        assert result.params[item] < min(raw_log_or, weakest) and result.pvalues[item] > 0.001, item


@pytest.mark.parametrize("segment", ["discrete-manufacturing", "food-processing"])
def test_noise_world_has_no_signal(noisy, segment):
    truth = json.loads((noisy / "_truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth["segments"][segment]["drivers"] == {} and all(
        i["beta"] == 0 for i in truth["segments"][segment]["items"])
    frame, items = deal_indicators(noisy, segment)
    result = fit(frame, items)
    assert result.llr_pvalue > 0.01
    assert (result.pvalues[items] < 0.01).mean() < 0.05
    assert abs(frame["won"].mean() - 0.4) < 0.04


def test_bad_rows_are_listed_exactly(tmp_path):
    generate(tmp_path, deals=600, seed=7, bad_rows=2 * 18 + 3, reps=24)
    listing = pl.read_csv(tmp_path / "_truth" / "bad_rows.csv")
    assert set(zip(listing["file"], listing["rule"])) == set(RULES)
    assert found_bad(tmp_path) == {(f, ln, r) for f, ln, r in listing.select("file", "line", "rule").iter_rows()}
    for file, line, ident in listing.select("file", "line", "id").iter_rows():
        row = dict(read_rows(tmp_path / file))[line]
        assert (row[list(row)[0]] or "") == (ident or "")


def found_bad(root: Path) -> set[tuple[str, int, str]]:
    """Every rule break in the three files, found independently of the generator."""
    maps = load_maps(root)
    bad: set[tuple[str, int, str]] = set()

    def is_date(v: str, timestamp: bool = False) -> bool:
        try:
            (dt.datetime if timestamp and "T" in v else dt.date).fromisoformat(v)
            return True
        except ValueError:
            return False

    def dupes(file: str, rows: list[tuple[int, dict]], key: str) -> None:
        seen: dict[str, list[tuple[int, dict]]] = {}
        for line, row in rows:
            if row[key]:
                seen.setdefault(row[key], []).append((line, row))
        for group in seen.values():
            if len(group) > 1:
                if all(r == group[0][1] for _, r in group):
                    bad.update((file, line, "duplicate") for line, _ in group[1:])
                else:
                    bad.update((file, line, "conflicting_duplicate") for line, _ in group)

    reps = read_rows(root / "reps.csv")
    dupes("reps.csv", reps, "rep_id")
    bad.update(("reps.csv", ln, "bad_date") for ln, r in reps if r["hired_at"] and not is_date(r["hired_at"]))
    rep_ids = {r["rep_id"] for _, r in reps}

    deals = read_rows(root / "deals.csv")
    dupes("deals.csv", deals, "deal_id")
    for line, r in deals:
        if not all(r[c] for c in ("deal_id", "account_id", "segment", "rep_id", "created_at")):
            bad.add(("deals.csv", line, "missing_required"))
            continue
        if not is_date(r["created_at"]) or (r["closed_at"] and not is_date(r["closed_at"])):
            bad.add(("deals.csv", line, "bad_date"))
        elif r["closed_at"] and r["closed_at"] < r["created_at"]:
            bad.add(("deals.csv", line, "closed_before_created"))
        if not re.fullmatch(r"\d+(\.\d+)?", r["amount"]):
            bad.add(("deals.csv", line, "bad_amount"))
        if r["outcome"].lower() not in OUTCOMES:
            bad.add(("deals.csv", line, "bad_outcome"))
        if r["rep_id"] not in rep_ids:
            bad.add(("deals.csv", line, "unknown_rep"))
    bad_deal_lines = {ln for f, ln, _ in bad if f == "deals.csv"}
    segment_of = {r["deal_id"]: r["segment"] for ln, r in deals if ln not in bad_deal_lines}

    eng = read_rows(root / "engagements.csv")
    dupes("engagements.csv", eng, "engagement_id")
    for line, r in eng:
        if not all(r[c] for c in ("engagement_id", "deal_id", "occurred_at")):
            bad.add(("engagements.csv", line, "missing_required"))
            continue
        if not is_date(r["occurred_at"], timestamp=True):
            bad.add(("engagements.csv", line, "bad_date"))
        if r["channel"] and r["channel"] not in CHANNELS:
            bad.add(("engagements.csv", line, "bad_channel"))
        if r["deal_id"] not in segment_of:
            bad.add(("engagements.csv", line, "unknown_deal"))
            continue
        m = maps[segment_of[r["deal_id"]]]
        if r["role_id"] and r["role_id"] not in m["role"]:
            bad.add(("engagements.csv", line, "unknown_role"))
        if any(set(filter(None, r[c].split(";"))) - m[k] for c, k in ITEM_COLUMNS.items()):
            bad.add(("engagements.csv", line, "unknown_map_id"))
    return bad
