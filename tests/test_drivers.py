"""Honesty tests for win drivers and open-deal scoring on synthetic deals with planted truths."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from scipy import special

from valuedata.analysis.drivers import DRIVER_EFFECTS_SCHEMA, MODEL_QUALITY_SCHEMA, closed_deals, compute_drivers
from valuedata.analysis.features import item_catalogue
from valuedata.analysis.crossval import make_folds
from valuedata.analysis.model import MinimumData
from valuedata.analysis.scoring import OPEN_DEAL_SCORES_SCHEMA, score_open_deals
from valuedata.analysis.stats import fit_logit

CONTRACT_EFFECT_COLUMNS = [
    "segment", "kind", "item_id", "deals_with", "deals_without", "win_rate_with", "win_rate_without",
    "lift", "lift_ci_low", "lift_ci_high", "p_value", "q_value", "odds_ratio", "or_ci_low", "or_ci_high",
    "significant",
]
CONTRACT_QUALITY_COLUMNS = ["segment", "closed_deals", "auc_cv", "brier_cv", "baseline_brier", "fitted_at"]
CONTRACT_SCORE_COLUMNS = [
    "deal_id", "rep_id", "segment", "win_probability", "top_positive", "top_negative",
    "next_best_action", "expected_lift",
]

ROLES = {  # role_id: (title, key_player)
    "economic_buyer": ("Chief Financial Officer", True),
    "production_manager": ("Production Manager", True),
    "quality_lead": ("Quality Lead", True),
    "it_admin": ("IT Administrator", False),
}
ITEMS = {  # item_id: (kind, owning role, text)
    "vp_yield": ("value_proposition", "production_manager", "Raise first-pass yield on existing lines without new capital"),
    "vp_lookalike": ("value_proposition", "production_manager", "Standardise work instructions across plants"),
    "vp_cloud": ("value_proposition", "it_admin", "Run in your own cloud tenant"),
    "vp_payback": ("value_proposition", "economic_buyer", "Payback inside twelve months"),
    "is_downtime": ("issue", "production_manager", "Unplanned downtime on constrained lines"),
    "is_scrap": ("issue", "quality_lead", "Scrap and rework above target"),
    "is_budget": ("issue", "economic_buyer", "Capital budget frozen"),
    "q_downtime_cost": ("question", "production_manager", "What does an hour of unplanned downtime cost you?"),
    "q_discount": ("question", "economic_buyer", "What discount would make this happen this quarter?"),
    "q_audit": ("question", "quality_lead", "When is your next customer audit?"),
    "q_stack": ("question", "it_admin", "Which MES do you run today?"),
}
LISTS = {
    "role": "roles_engaged",
    "value_proposition": "value_propositions_presented",
    "issue": "issues_uncovered",
    "question": "questions_asked",
}
PLANTED = {  # true log-odds effects; every other item has none
    ("role", "economic_buyer"): 1.0,
    ("value_proposition", "vp_yield"): 0.9,
    ("question", "q_discount"): -0.8,
}
SEGMENTS = {"discrete": 0.0, "process": 0.4}
START = date(2023, 1, 1)


@dataclass
class World:
    """Synthetic deals with the true win probability of every deal."""

    deals: pl.DataFrame
    items: pl.DataFrame
    roles: pl.DataFrame
    true_probability: np.ndarray


def map_tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    """One map per segment, same ids, for core.value_map_items and core.value_map_roles."""
    roles = pl.DataFrame(
        [
            {"map_id": f"map-{s}", "segment": s, "role_id": r, "title": t, "key_player": k, "level": "manager", "department": "Ops"}
            for s in SEGMENTS for r, (t, k) in ROLES.items()
        ]
    )
    items = pl.DataFrame(
        [
            {"map_id": f"map-{s}", "role_id": role, "kind": kind, "item_id": item, "text": text, "impact": True, "priority": 1}
            for s in SEGMENTS for item, (kind, role, text) in ITEMS.items()
        ]
        + [{"map_id": f"map-{s}", "role_id": "production_manager", "kind": "objective", "item_id": "obj_output",
            "text": "Hit weekly output targets", "impact": True, "priority": 1} for s in SEGMENTS]
    )
    return items, roles


def _features() -> list[tuple[str, str]]:
    return [("role", r) for r in ROLES] + [(kind, item) for item, (kind, _, _) in ITEMS.items()]


def _presence(rng: np.random.Generator, n: int, features: list[tuple[str, str]]) -> np.ndarray:
    """Items correlated through a latent 'rep diligence'; vp_lookalike tracks vp_yield (corr ~ 0.5)."""
    diligence = rng.normal(size=n)
    base = rng.uniform(-0.8, 0.8, size=len(features))
    presence = rng.random((n, len(features))) < special.expit(base + 0.7 * diligence[:, None])
    yield_col = features.index(("value_proposition", "vp_yield"))
    look_col = features.index(("value_proposition", "vp_lookalike"))
    copy = rng.random(n) < 0.55
    presence[:, look_col] = np.where(copy, presence[:, yield_col], rng.random(n) < 0.5)
    return presence


def _lists(presence: np.ndarray, features: list[tuple[str, str]]) -> dict[str, list[list[str]]]:
    columns = {}
    for kind, column in LISTS.items():
        cols = [j for j, (k, _) in enumerate(features) if k == kind]
        ids = np.array([features[j][1] for j in cols], dtype=object)
        columns[column] = [list(ids[row]) for row in presence[:, cols]]
    return columns


def make_world(
    seed: int = 7, n: int = 6000, planted: dict | None = None, open_share: float = 0.2, amount_effect: float = 0.3
) -> World:
    """Deals over two segments and two years; outcome from a logistic model with planted effects."""
    rng = np.random.default_rng(seed)
    planted = PLANTED if planted is None else planted
    features = _features()
    presence = _presence(rng, n, features)
    segment = rng.choice(list(SEGMENTS), size=n)
    amount = np.exp(rng.normal(10, 1, n))
    amount_z = (np.log1p(amount) - 10) / 1
    effects = np.array([planted.get(f, 0.0) for f in features])
    eta = -0.5 + presence @ effects + amount_effect * amount_z + np.vectorize(SEGMENTS.get)(segment)
    probability = special.expit(eta)
    won = rng.random(n) < probability
    created = np.array([START + timedelta(days=int(d)) for d in np.sort(rng.integers(0, 730, n))])
    is_open = np.arange(n) >= n * (1 - open_share)
    outcome = np.where(is_open, "open", np.where(won, "won", "lost"))
    closed = [None if o else c + timedelta(days=int(d)) for o, c, d in zip(is_open, created, rng.integers(20, 120, n))]
    amount_with_gaps = np.where(rng.random(n) < 0.05, np.nan, amount)
    deals = pl.DataFrame(
        {
            "deal_id": [f"D{i:05d}" for i in range(n)],
            "rep_id": rng.choice([f"R{i}" for i in range(12)], size=n),
            "segment": segment,
            "map_id": [f"map-{s}" for s in segment],
            "outcome": outcome,
            "amount": amount_with_gaps,
            "created_at": pl.Series(list(created), dtype=pl.Date),
            "closed_at": pl.Series(closed, dtype=pl.Date),
            **_lists(presence, features),
            "key_role_coverage": presence[:, :3].mean(axis=1),
            "engagements": rng.integers(1, 20, n),
            "lead_source": rng.choice(["web", "partner", "event", "cold", "referral-x"], p=[0.4, 0.3, 0.2, 0.097, 0.003], size=n),
            "employees": rng.lognormal(6, 1, n),
        },
        nan_to_null=True,
    )
    items, roles = map_tables()
    return World(deals, items, roles, probability)


@pytest.fixture(scope="module")
def world() -> World:
    return make_world()


@pytest.fixture(scope="module")
def drivers(world):
    return compute_drivers(world.deals, world.items, world.roles, ["lead_source", "employees"],
                           fitted_at=datetime(2025, 1, 1, tzinfo=UTC))


def _without(column: str, item_id: str) -> pl.Expr:
    return pl.col(column).list.filter(pl.element() != item_id)


def _row(effects: pl.DataFrame, segment: str, kind: str, item_id: str) -> dict:
    return effects.filter(segment=segment, kind=kind, item_id=item_id).row(0, named=True)


def test_tables_follow_the_contract(drivers):
    effects, quality, models = drivers
    assert effects.columns[: len(CONTRACT_EFFECT_COLUMNS)] == CONTRACT_EFFECT_COLUMNS
    assert dict(effects.schema) == DRIVER_EFFECTS_SCHEMA
    assert quality.columns[: len(CONTRACT_QUALITY_COLUMNS)] == CONTRACT_QUALITY_COLUMNS
    assert dict(quality.schema) == MODEL_QUALITY_SCHEMA
    assert set(quality["segment"]) == {"*", "discrete", "process"} == set(models)
    assert effects.select("segment", "kind", "item_id").is_duplicated().sum() == 0
    assert set(effects["kind"]) == {"role", "value_proposition", "issue", "question", "attribute"}
    assert effects.filter(pl.col("kind") != "attribute").height == 3 * (len(ROLES) + len(ITEMS))
    amount = effects.filter(kind="attribute", item_id="amount", segment="*").row(0, named=True)
    assert amount["status"] == "estimated" and "per standard deviation of log(1 + amount)" in amount["note"]
    assert amount["or_ci_low"] < np.exp(0.3) < amount["or_ci_high"]  # planted: 0.3 per SD of log amount
    segment = effects.filter(kind="attribute", segment="*", item_id="segment=process").row(0, named=True)
    assert segment["significant"] and "against segment = discrete" in segment["note"]
    assert set(effects["status"]) <= {"estimated", "reference", "not_enough_data", "separation", "collinear"}


def test_planted_drivers_are_recovered_with_the_right_sign(drivers):
    effects = drivers[0]
    for (kind, item_id), effect in PLANTED.items():
        row = _row(effects, "*", kind, item_id)
        assert row["significant"], row
        assert np.sign(np.log(row["odds_ratio"])) == np.sign(effect)
        assert row["or_ci_low"] < np.exp(effect) < row["or_ci_high"]


def test_lookalike_item_has_raw_lift_but_no_adjusted_effect(drivers):
    row = _row(drivers[0], "*", "value_proposition", "vp_lookalike")
    assert row["lift_ci_low"] > 0, "the look-alike should look good in the raw association"
    assert not row["significant"]
    assert row["or_ci_low"] < 1 < row["or_ci_high"]


def test_null_items_are_rarely_significant(drivers):
    effects = drivers[0].filter(pl.col("segment") == "*", pl.col("kind") != "attribute")
    null_items = effects.filter(~pl.struct("kind", "item_id").is_in([{"kind": k, "item_id": i} for k, i in PLANTED]))
    assert null_items["significant"].sum() <= 1


def test_pure_noise_outcome_gives_no_significant_items():
    world = make_world(seed=11, planted={}, amount_effect=0.0)
    effects, quality, _ = compute_drivers(world.deals, world.items, world.roles, ["lead_source"])
    assert effects["significant"].sum() <= 1
    within_segments = quality.filter(pl.col("segment") != "*")  # '*' has a real segment effect
    assert (within_segments["auc_cv"] < 0.56).all()
    assert (within_segments["brier_cv"] > within_segments["baseline_brier"] - 0.002).all()


def test_estimates_match_statsmodels(world, drivers):
    effects, _, models = drivers
    model = models["discrete"]
    closed = world.deals.filter((pl.col("segment") == "discrete") & (pl.col("outcome") != "open"))
    design = model.design(closed)
    reference = sm.Logit((closed["outcome"] == "won").to_numpy().astype(float), design).fit(disp=0)
    np.testing.assert_allclose(model.coef, reference.params, rtol=1e-6, atol=1e-8)
    for name, column in model.item_columns.items():
        kind, item_id = name.split(":", 1)
        row = _row(effects, "discrete", kind, item_id)
        np.testing.assert_allclose(row["odds_ratio"], np.exp(reference.params[column]), rtol=1e-6)
        np.testing.assert_allclose(row["p_value"], reference.pvalues[column], rtol=1e-5, atol=1e-12)
        low, high = np.exp(reference.conf_int()[column])
        np.testing.assert_allclose([row["or_ci_low"], row["or_ci_high"]], [low, high], rtol=1e-6)


def test_raw_association_counts_closed_deals_only(world, drivers):
    row = _row(drivers[0], "process", "role", "economic_buyer")
    closed = world.deals.filter((pl.col("segment") == "process") & (pl.col("outcome") != "open"))
    has = closed["roles_engaged"].list.contains("economic_buyer")
    assert row["deals_with"] == has.sum() and row["deals_without"] == (~has).sum()
    won = closed["outcome"] == "won"
    assert row["win_rate_with"] == pytest.approx((won & has).sum() / has.sum())
    assert row["lift"] == pytest.approx(row["win_rate_with"] - row["win_rate_without"])
    assert row["lift_ci_low"] < row["lift"] < row["lift_ci_high"]


def test_items_below_the_rules_get_nulls_and_a_note():
    world = make_world(seed=3, n=2000)
    rare = pl.Series([["q_stack"] if i < 6 else [] for i in range(world.deals.height)])
    deals = world.deals.with_columns(questions_asked=_without("questions_asked", "q_stack").list.concat(rare))
    items = pl.concat([world.items, world.items.filter(item_id="vp_cloud").with_columns(item_id=pl.lit("vp_never"))])
    effects, _, _ = compute_drivers(deals, items, world.roles, [])
    star = effects.filter(segment="*")
    rare_row = star.filter(item_id="q_stack").row(0, named=True)
    assert rare_row["status"] == "not_enough_data" and rare_row["note"].startswith("not enough data")
    assert rare_row["odds_ratio"] is None and rare_row["p_value"] is None and not rare_row["significant"]
    never = star.filter(item_id="vp_never").row(0, named=True)
    assert never["status"] == "not_enough_data" and never["deals_with"] == 0 and never["win_rate_with"] is None
    assert never["lift"] is None and never["note"] == "not enough data: no closed deal in this segment has it"
    explained = effects.filter(pl.col("odds_ratio").is_null())
    assert explained["note"].is_not_null().all()


def test_small_segment_is_not_fitted_but_reported():
    world = make_world(seed=5, n=3000)
    keep = (pl.col("segment") == "discrete") | (pl.int_range(pl.len()) % 40 == 0)
    effects, quality, models = compute_drivers(world.deals.filter(keep), world.items, world.roles, [])
    assert "process" not in models and set(quality["segment"]) == {"*", "discrete"}
    process = effects.filter(pl.col("kind") != "attribute", segment="process")
    assert process.height == len(ROLES) + len(ITEMS)
    assert set(process["status"]) == {"not_enough_data"}
    assert process.filter(pl.col("deals_with") > 0)["note"].str.contains("the segment has").all()
    assert process["odds_ratio"].is_null().all() and process["deals_with"].sum() > 0


def test_duplicate_item_is_reported_as_collinear(world):
    deals = world.deals.with_columns(
        questions_asked=pl.when(pl.col("value_propositions_presented").list.contains("vp_cloud"))
        .then(pl.concat_list(_without("questions_asked", "q_stack"), pl.lit("q_stack")))
        .otherwise(_without("questions_asked", "q_stack"))
    )
    effects, _, models = compute_drivers(deals, world.items, world.roles, [])
    pair = effects.filter(pl.col("item_id").is_in(["vp_cloud", "q_stack"]), segment="*").sort("kind")
    statuses = dict(zip(pair["item_id"], pair["status"]))
    assert statuses == {"vp_cloud": "estimated", "q_stack": "collinear"}
    note = pair.filter(item_id="q_stack")["note"][0]
    assert "value_proposition:vp_cloud" in note and pair.filter(item_id="q_stack")["odds_ratio"][0] is None
    assert "question:q_stack" not in models["*"].item_columns


def test_separation_is_reported_not_crashed(world):
    deals = world.deals.with_columns(
        outcome=pl.when(pl.col("questions_asked").list.contains("q_audit") & (pl.col("outcome") != "open"))
        .then(pl.lit("won")).otherwise(pl.col("outcome"))
    )
    loose = MinimumData(deals_each_side=1, outcomes_each_side=0)
    effects, quality, models = compute_drivers(deals, world.items, world.roles, [], rules=loose)
    row = _row(effects, "*", "question", "q_audit")
    assert row["status"] == "separation" and row["odds_ratio"] is None and "separation" in row["note"]
    assert row["win_rate_with"] == 1.0
    assert np.isfinite(models["*"].coef).all()
    strict = compute_drivers(deals, world.items, world.roles, [])[0]
    assert _row(strict, "*", "question", "q_audit")["status"] == "not_enough_data"


def test_model_quality_uses_time_ordered_folds(drivers):
    quality = drivers[1].filter(segment="*").row(0, named=True)
    assert quality["folds"] == 5 and quality["cv_deals"] == pytest.approx(quality["closed_deals"] / 2, abs=2)
    assert 0.6 < quality["auc_cv"] < 0.9
    assert quality["brier_cv"] < quality["baseline_brier"] and quality["better_than_baseline"]
    assert quality["calibration"].startswith(("none", "platt")) and quality["converged"]
    assert quality["cv_scheme"].startswith("time-ordered")


def test_folds_train_only_on_deals_closed_before_the_test_block(world):
    closed = closed_deals(world.deals, item_catalogue(world.items, world.roles))
    folds = make_folds(closed["closed_at"], (closed["outcome"] == "won").to_numpy())
    assert folds.time_ordered and len(folds.splits) == 5
    assert folds.splits[0][0] == slice(0, int(np.ceil(closed.height / 2)))
    close_dates = closed["closed_at"].to_numpy()
    assert (np.diff(close_dates).astype(int) >= 0).all()
    for train, test in folds.splits:
        assert train.start == 0 and train.stop == test.start
        assert close_dates[train].max() <= close_dates[test].min()


def test_counterfactual_moves_probability_with_the_planted_sign(world, drivers):
    model = drivers[2]["*"]
    open_deals = world.deals.filter(outcome="open")
    on = model.counterfactual(open_deals, "role:economic_buyer", present=True)
    off = model.counterfactual(open_deals, "role:economic_buyer", present=False)
    assert (on >= off).all() and (on - off).mean() > 0.1
    assert model.predict_proba(open_deals).shape == (open_deals.height,)


def test_scores_track_true_probabilities(world, drivers):
    scores = score_open_deals(world.deals, drivers[2], world.items, world.roles)
    assert scores.columns[: len(CONTRACT_SCORE_COLUMNS)] == CONTRACT_SCORE_COLUMNS
    assert dict(scores.schema) == OPEN_DEAL_SCORES_SCHEMA
    is_open = (world.deals["outcome"] == "open").to_numpy()
    truth = world.true_probability[is_open]
    predicted = scores["win_probability"].to_numpy()
    assert scores["deal_id"].to_list() == world.deals.filter(outcome="open")["deal_id"].to_list()
    assert np.corrcoef(predicted, truth)[0, 1] > 0.8
    slope = fit_logit(np.column_stack([np.ones(truth.size), special.logit(predicted)]),
                      (np.random.default_rng(0).random(truth.size) < truth).astype(float)).coef[1]
    assert 0.75 < slope < 1.25
    linear = np.polyfit(special.logit(predicted), special.logit(truth), 1)[0]
    assert 0.8 < linear < 1.2


def test_next_best_action_is_a_missing_positive_driver(world, drivers):
    scores = score_open_deals(world.deals, drivers[2], world.items, world.roles)
    open_deals = world.deals.filter(outcome="open")
    joined = scores.join(open_deals.select("deal_id", "roles_engaged", "value_propositions_presented"), on="deal_id")
    missing_buyer = joined.filter(~pl.col("roles_engaged").list.contains("economic_buyer"))
    assert (missing_buyer["next_best_action"] == "role:economic_buyer").mean() > 0.5
    assert (missing_buyer["expected_lift"] > 0).all()
    text = missing_buyer.filter(next_best_action="role:economic_buyer")["next_best_action_text"][0]
    assert text == "meet the Chief Financial Officer"
    actions = scores["next_best_action"].drop_nulls()
    assert not actions.str.starts_with("issue:").any() and not actions.str.contains("it_admin").any()
    has_buyer = joined.filter(pl.col("roles_engaged").list.contains("economic_buyer"))
    assert (has_buyer["next_best_action"] != "role:economic_buyer").all()


def test_top_factors_are_readable(world, drivers):
    scores = score_open_deals(world.deals, drivers[2], world.items, world.roles)
    positives = scores["top_positive"].drop_nulls()
    negatives = scores["top_negative"].drop_nulls()
    assert positives.str.contains("met the Chief Financial Officer").any()
    assert positives.str.contains("presented: Raise first-pass yield").any()
    assert negatives.str.contains("asked: What discount").any()
    assert negatives.str.contains("has not met the Chief Financial Officer").any()


def test_deals_without_map_or_model_are_scored_null_with_a_note(world, drivers):
    deals = world.deals.with_columns(map_id=pl.when(pl.col("deal_id") == "D05999").then(None).otherwise(pl.col("map_id")))
    scores = score_open_deals(deals, drivers[2], world.items, world.roles)
    row = scores.filter(deal_id="D05999").row(0, named=True)
    assert row["win_probability"] is None and "no value map" in row["note"]
    other_map = deals.with_columns(map_id=pl.when(pl.col("deal_id") == "D05998").then(pl.lit("map-new")).otherwise(pl.col("map_id")))
    unknown = score_open_deals(other_map, drivers[2], world.items, world.roles).filter(deal_id="D05998").row(0, named=True)
    assert unknown["win_probability"] is None and "no model was fitted on deals of this value map" in unknown["note"]
    empty = score_open_deals(world.deals, {}, world.items, world.roles)
    assert empty["win_probability"].is_null().all() and empty.height == scores.height


def test_tiny_input_returns_empty_tables_with_schema(world):
    effects, quality, models = compute_drivers(world.deals.head(30), world.items, world.roles, ["lead_source"])
    assert models == {} and quality.height == 0 and dict(quality.schema) == MODEL_QUALITY_SCHEMA
    assert (effects.filter(segment="*")["status"] == "not_enough_data").all()
