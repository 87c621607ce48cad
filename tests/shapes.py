"""Input folders in the shapes real CRM exports have, drawn from a seeded, known logistic truth.

Each `Shape` holds the value maps and the deals, reps and (optionally) engagements of one input
folder; `write(folder)` lays them out as the contract's input folder. `SHAPES` builds each one by
name. The truths are plain: a deal's log-odds of winning is a sum of planted effects of the items
it has (`Item.effect`) and of its attributes, so the tests know what the analyses should find.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import yaml
from scipy import special

from conftest import Worlds
from pipelines.run import run_pipeline
from valuedata.config import Settings

START = date(2024, 1, 1)
CREATION_SPAN_DAYS = 700
OPEN_SHARE = 0.08
REPS = tuple(f"r{i:02d}" for i in range(1, 21))


@dataclass(frozen=True)
class Item:
    """A value-map item a deal may have, how often, and its true log-odds effect on winning.

    Items of kind 'role' enter through an engagement with a contact whose title is the role's title;
    the others through the engagement tag fields. `role` is the map role holding a non-role item.
    """

    kind: str
    item_id: str
    share: float
    effect: float = 0.0
    role: str = ""


@dataclass(frozen=True)
class Role:
    """A map role: its id and title (the title, lower-cased, is its one title pattern)."""

    role_id: str
    title: str


@dataclass
class Shape:
    """One input folder: value maps, deals, reps and optional engagements."""

    name: str
    maps: list[dict]
    deals: pl.DataFrame
    reps: pl.DataFrame
    engagements: pl.DataFrame | None = None
    truth: dict = field(default_factory=dict)

    def write(self, folder: Path) -> Path:
        """The contract's input folder: maps/*.yaml, deals.csv, reps.csv and engagements.csv if any."""
        (folder / "maps").mkdir(parents=True, exist_ok=True)
        for value_map in self.maps:
            (folder / "maps" / f"{value_map['map_id']}.yaml").write_text(yaml.safe_dump(value_map, sort_keys=False))
        self.deals.drop("true_probability").write_csv(folder / "deals.csv")
        self.reps.write_csv(folder / "reps.csv")
        if self.engagements is not None:
            self.engagements.write_csv(folder / "engagements.csv")
        return folder


def value_map(map_id: str, segment: str, roles: list[Role], items: list[Item]) -> dict:
    """A value map in the contract's YAML schema: one issue per role, addressed by the role's value
    propositions and uncovered by its questions."""
    body = []
    for role in roles:
        issue = f"{role.role_id}_issue"
        held = [i for i in items if i.role == role.role_id]
        entry = {
            "role_id": role.role_id,
            "title": role.title,
            "title_patterns": [role.title.lower()],
            "level": "manager",
            "key_player": True,
            "issues": [{"id": issue, "text": f"What keeps the {role.title} up at night", "impact": True, "priority": 1}],
        }
        vps = [i for i in held if i.kind == "value_proposition"]
        questions = [i for i in held if i.kind == "question"]
        if vps:
            entry["value_propositions"] = [
                {"id": i.item_id, "statement": f"Statement of {i.item_id}", "addresses": [issue]} for i in vps
            ]
        if questions:
            entry["questions"] = [{"id": i.item_id, "text": f"Question {i.item_id}?", "uncovers": [issue]} for i in questions]
        body.append(entry)
    return {"map_id": map_id, "name": f"Map {map_id}", "segment": segment, "version": "test", "roles": body}


def reps_frame(rep_ids: tuple[str, ...] = REPS) -> pl.DataFrame:
    return pl.DataFrame({
        "rep_id": list(rep_ids),
        "name": [f"Rep {r}" for r in rep_ids],
        "team": ["East" if i % 2 else "West" for i in range(len(rep_ids))],
    })


def base_deals(
    rng: np.random.Generator, n: int, *, segments: list[str], rep_ids: tuple[str, ...] = REPS, ids: list[str] | None = None
) -> pl.DataFrame:
    """Deals before their outcome: ids, accounts, segments, reps, amounts, creation dates."""
    created = [START + timedelta(days=int(d)) for d in rng.integers(0, CREATION_SPAN_DAYS, n)]
    return pl.DataFrame({
        "deal_id": ids or [f"D{i:05d}" for i in range(1, n + 1)],
        "account_id": [f"A{i:05d}" for i in rng.integers(1, n // 2 + 2, n)],
        "segment": rng.choice(segments, n).tolist(),
        "rep_id": rng.choice(list(rep_ids), n).tolist(),
        "amount": np.round(rng.lognormal(10, 1, n), 2),
        "currency": ["USD"] * n,
        "created_at": created,
    })


def close(rng: np.random.Generator, deals: pl.DataFrame, logit: np.ndarray, open_share: float = OPEN_SHARE) -> pl.DataFrame:
    """Draw each deal's outcome from its true log-odds; a share stays open (no close date)."""
    n = deals.height
    won = rng.random(n) < special.expit(logit)
    is_open = rng.random(n) < open_share
    outcome = np.where(is_open, "open", np.where(won, "won", "lost"))
    days = rng.integers(10, 120, n)
    closed = [None if o else c + timedelta(days=int(d)) for c, d, o in zip(deals["created_at"], days, is_open)]
    return deals.with_columns(
        pl.Series("closed_at", closed, pl.Date),
        pl.Series("outcome", outcome),
        pl.Series("true_probability", special.expit(logit)),
    )


def presence(rng: np.random.Generator, n: int, items: list[Item]) -> dict[Item, np.ndarray]:
    """Independent draws of which deals have each item."""
    return {item: rng.random(n) < item.share for item in items}


def item_logit(has: dict[Item, np.ndarray]) -> np.ndarray:
    """The items' part of the true log-odds."""
    return sum((mask * item.effect for item, mask in has.items()), np.zeros(len(next(iter(has.values())))))


def engagements_frame(deals: pl.DataFrame, has: dict[Item, np.ndarray], roles: list[Role]) -> pl.DataFrame:
    """One engagement per engaged role, plus one untitled engagement carrying the deal's tags."""
    titles = {r.role_id: r.title for r in roles}
    ids, created = deals["deal_id"].to_list(), deals["created_at"].to_list()
    tag = {kind: [[] for _ in ids] for kind in ("value_propositions", "issues", "questions")}
    rows = []
    for item, mask in has.items():
        for i in np.flatnonzero(mask):
            if item.kind == "role":
                rows.append((ids[i], created[i], titles[item.item_id], "", "", ""))
            else:
                tag[f"{item.kind}s"][i].append(item.item_id)
    for i, deal in enumerate(ids):
        lists = [";".join(tag[k][i]) for k in ("value_propositions", "issues", "questions")]
        if any(lists):
            rows.append((deal, created[i], "", *lists))
    frame = pl.DataFrame(
        rows, orient="row",
        schema=["deal_id", "occurred_at", "contact_title", "value_propositions", "issues", "questions"],
    )
    return frame.with_columns(
        pl.col("occurred_at") + pl.duration(days=1),
        engagement_id=pl.format("E{}", pl.int_range(1, pl.len() + 1)),
        channel=pl.lit("meeting"),
    ).select("engagement_id", "deal_id", "occurred_at", "contact_title", "channel",
             "value_propositions", "issues", "questions")


def _standard(rng: np.random.Generator, name: str, segment: str, n: int, items: list[Item], roles: list[Role],
              *, logit_base: float = -0.3, extra_logit: np.ndarray | None = None, **deal_options) -> Shape:
    """A one-map shape whose truth is the items' effects (plus `extra_logit`)."""
    deals = base_deals(rng, n, segments=[segment], **deal_options)
    has = presence(rng, n, items)
    logit = logit_base + item_logit(has) + (0.0 if extra_logit is None else extra_logit)
    deals = close(rng, deals, logit)
    value_maps = [value_map(f"{segment}-map", segment, roles, items)]
    return Shape(name, value_maps, deals, reps_frame(deal_options.get("rep_ids", REPS)),
                 engagements_frame(deals, has, roles), {"items": items})


BUYER, ENGINEER, CHAMPION = Role("buyer", "Buyer"), Role("engineer", "Engineer"), Role("champion", "Champion")
BEHAVIOUR = [  # items with real effects, shared by several shapes
    Item("role", "buyer", 0.6, 0.3),
    Item("role", "engineer", 0.5, 0.6),
    Item("question", "q_budget", 0.4, 0.5, "buyer"),
    Item("question", "q_specs", 0.45, 0.0, "engineer"),
    Item("value_proposition", "vp_uptime", 0.5, -0.4, "engineer"),
]
LEAD_SOURCE = {"inbound": (0.4, 0.0), "outbound": (0.3, -0.5), "partner": (0.2, 0.6), "event": (0.1, 0.2)}
PRODUCT_LINES = {"line_pumps": (0.4, 0.0), "line_valves": (0.3, 0.7), "line_sensors": (0.2, -0.6), "line_drives": (0.1, 0.4)}


def _choice(rng: np.random.Generator, levels: dict[str, tuple[float, float]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw one level per deal by share; return the levels and their effects."""
    names = list(levels)
    picked = rng.choice(len(names), n, p=[levels[k][0] for k in names])
    effects = np.array([levels[k][1] for k in names])
    return np.array(names)[picked], effects[picked]


def deals_only(rng: np.random.Generator, n: int) -> Shape:
    """Maps present, no engagements file: only deal attributes can explain outcomes."""
    deals = base_deals(rng, n, segments=["services"])
    source, source_effect = _choice(rng, LEAD_SOURCE, n)
    competitors = rng.integers(0, 5, n)
    deals = close(rng, deals.with_columns(lead_source=source, competitors=competitors),
                  -0.2 + source_effect - 0.3 * competitors)
    value_maps = [value_map("services-map", "services", [BUYER, ENGINEER], BEHAVIOUR)]
    return Shape("deals_only", value_maps, deals, reps_frame())


def one_of(rng: np.random.Generator, n: int) -> Shape:
    """Every deal carries exactly one product line, mapped as value propositions of the buyer."""
    line, line_effect = _choice(rng, PRODUCT_LINES, n)
    # the lines' shares are drawn together above (exactly one per deal), not per item
    lines = [Item("value_proposition", k, 0.0, v[1], "buyer") for k, v in PRODUCT_LINES.items()]
    shape = _standard(rng, "one_of", "manufacturing", n, BEHAVIOUR, [BUYER, ENGINEER], extra_logit=line_effect)
    by_deal = pl.DataFrame({"deal_id": shape.deals["deal_id"], "line": line})
    shape.maps = [value_map("manufacturing-map", "manufacturing", [BUYER, ENGINEER], BEHAVIOUR + lines)]
    shape.engagements = _with_line(shape.engagements, by_deal)
    shape.truth = {"items": BEHAVIOUR + lines, "one_of": sorted(PRODUCT_LINES)}
    return shape


def _with_line(engagements: pl.DataFrame, by_deal: pl.DataFrame) -> pl.DataFrame:
    """Every deal's product line as one value-proposition engagement of its own."""
    first_day = engagements.group_by("deal_id").agg(pl.col("occurred_at").min())
    lines = by_deal.join(first_day, on="deal_id", how="left").select(
        "deal_id", "occurred_at", contact_title=pl.lit(""), channel=pl.lit("meeting"),
        value_propositions="line", issues=pl.lit(""), questions=pl.lit(""),
    ).with_columns(pl.col("occurred_at").fill_null(START))
    combined = pl.concat([engagements.drop("engagement_id"), lines.select(engagements.columns[1:])])
    return combined.select(pl.format("E{}", pl.int_range(1, pl.len() + 1)).alias("engagement_id"), pl.all())


def attributes(rng: np.random.Generator, n: int) -> Shape:
    """Deal attributes carry the signal, through an interaction and a threshold; behaviour carries none.

    Truth: lead source levels; an up-sell wins with enterprise clients and a new sale with every other
    client (+2.5 either way), which no sum of main effects can express; three or more competitors
    cost 1.5 (a step, not a slope).
    """
    items = [Item("role", "champion", 0.5), Item("question", "q_pain", 0.5, 0.0, "champion")]
    source, source_effect = _choice(rng, LEAD_SOURCE, n)
    client = rng.choice(["enterprise", "midmarket", "smb"], n, p=[0.3, 0.4, 0.3])
    upsell = rng.random(n) < 0.4
    competitors = rng.integers(0, 6, n)
    extra = source_effect + 2.5 * (upsell == (client == "enterprise")) - 1.5 * (competitors >= 3)
    shape = _standard(rng, "attributes", "software", n, items, [CHAMPION], logit_base=-0.5, extra_logit=extra)
    shape.deals = shape.deals.with_columns(
        lead_source=source, upsell=np.where(upsell, "yes", "no"), competitors=competitors, client_type=client
    )
    shape.truth = {"items": items, "attributes": ["client_type", "competitors", "lead_source", "upsell"]}
    return shape


def constant_date(rng: np.random.Generator, n: int) -> Shape:
    """An export without dates: one created (and closed) date for all, ids '1'..'n'."""
    items = [Item("role", "champion", 0.5, 0.6), Item("value_proposition", "vp_speed", 0.4, 0.5, "champion"),
             Item("question", "q_timeline", 0.5, 0.0, "champion")]
    shape = _standard(rng, "constant_date", "logistics", n, items, [CHAMPION], ids=[str(i) for i in range(1, n + 1)])
    day = date(2025, 6, 30)
    shape.deals = shape.deals.with_columns(
        created_at=pl.lit(day),
        closed_at=pl.when(pl.col("outcome") == "open").then(None).otherwise(pl.lit(day)),
    )
    shape.engagements = shape.engagements.with_columns(occurred_at=pl.lit(day))
    return shape


def leaky(rng: np.random.Generator, n: int) -> Shape:
    """`amount` is 0 on every lost deal; `stage_reached` equals the outcome on 98% of deals."""
    shape = _standard(rng, "leaky", "distribution", n, BEHAVIOUR, [BUYER, ENGINEER])
    won = (shape.deals["outcome"] == "won").to_numpy()
    flip = rng.random(n) < 0.02
    stage = np.where(won ^ flip, "negotiation", "proposal")
    shape.deals = shape.deals.with_columns(
        amount=pl.when(pl.col("outcome") == "lost").then(0.0).otherwise(pl.col("amount")),
        stage_reached=stage,
    )
    shape.truth["leaks"] = ["amount", "stage_reached"]
    return shape


def small_reps(rng: np.random.Generator, n: int) -> Shape:
    """Twenty reps of different skill, plus `r_one` with one closed deal and `r_three` with three."""
    skill = dict(zip(REPS, rng.normal(0, 0.5, len(REPS))))
    deals = base_deals(rng, n, segments=["manufacturing"])
    has = presence(rng, n, BEHAVIOUR)
    rep_effect = np.array([skill[r] for r in deals["rep_id"]])
    deals = close(rng, deals, -0.3 + item_logit(has) + rep_effect)
    reps = deals["rep_id"].to_numpy().copy()
    reps[np.flatnonzero(deals["outcome"].to_numpy() != "open")[:4]] = ["r_one", "r_three", "r_three", "r_three"]
    deals = deals.with_columns(rep_id=reps)
    value_maps = [value_map("manufacturing-map", "manufacturing", [BUYER, ENGINEER], BEHAVIOUR)]
    return Shape("small_reps", value_maps, deals, reps_frame((*REPS, "r_one", "r_three")),
                 engagements_frame(deals, has, [BUYER, ENGINEER]), {"items": BEHAVIOUR})


def star_map(rng: np.random.Generator, n: int) -> Shape:
    """One segment with its own map; retail and energy deals fall back to the '*' map."""
    own = [Item("role", "plant_manager", 0.5, 0.6), Item("value_proposition", "vp_oee", 0.4, 0.5, "plant_manager")]
    generic = [Item("role", "decision_maker", 0.5, 0.7), Item("value_proposition", "vp_roi", 0.4, 0.4, "decision_maker"),
               Item("question", "q_budget", 0.5, 0.0, "decision_maker")]
    plant, maker = Role("plant_manager", "Plant Manager"), Role("decision_maker", "Decision Maker")
    deals = base_deals(rng, n, segments=["manufacturing", "retail", "energy"])
    manufacturing = (deals["segment"] == "manufacturing").to_numpy()
    has_own = {item: mask & manufacturing for item, mask in presence(rng, n, own).items()}
    has_generic = {item: mask & ~manufacturing for item, mask in presence(rng, n, generic).items()}
    deals = close(rng, deals, -0.4 + item_logit(has_own) + item_logit(has_generic))
    value_maps = [value_map("manufacturing-map", "manufacturing", [plant], own), value_map("generic", "*", [maker], generic)]
    engagements = engagements_frame(deals, has_own | has_generic, [plant, maker])
    return Shape("star_map", value_maps, deals, reps_frame(), engagements, {"items": own + generic})


def ten_maps(rng: np.random.Generator, n: int) -> Shape:
    """Ten segments, each with its own map: a shared sponsor role and a value proposition of its own."""
    per_segment = n // 10
    segments = [f"seg{k}" for k in range(10)]
    sponsor = Role("sponsor", "Sponsor")
    parts, value_maps = [], []
    for k, segment in enumerate(segments):
        items = [Item("role", "sponsor", 0.5, 0.6), Item("value_proposition", f"vp_{k}", 0.5, 0.5, "sponsor")]
        deals = base_deals(rng, per_segment, segments=[segment], ids=[f"{segment}-{i}" for i in range(per_segment)])
        has = presence(rng, per_segment, items)
        parts.append((close(rng, deals, -0.5 + item_logit(has)), has))
        value_maps.append(value_map(f"map-{segment}", segment, [sponsor], items))
    deals = pl.concat([d for d, _ in parts])
    engagements = pl.concat([engagements_frame(d, h, [sponsor]) for d, h in parts]).with_columns(
        engagement_id=pl.format("E{}", pl.int_range(1, pl.len() + 1))
    )
    return Shape("ten_maps", value_maps, deals, reps_frame(), engagements)


def coin_flips(rng: np.random.Generator, n: int) -> Shape:
    """Outcomes independent of everything: a fair-ish coin per deal."""
    items = [Item(i.kind, i.item_id, i.share, 0.0, i.role) for i in BEHAVIOUR]
    return _standard(rng, "coin_flips", "manufacturing", n, items, [BUYER, ENGINEER], logit_base=-0.4)


SHAPES: dict[str, Callable[[np.random.Generator, int], Shape]] = {
    "deals_only": deals_only,
    "one_of": one_of,
    "attributes": attributes,
    "constant_date": constant_date,
    "leaky": leaky,
    "small_reps": small_reps,
    "star_map": star_map,
    "ten_maps": ten_maps,
    "coin_flips": coin_flips,
}
# Deals per shape: the fewest at which every assertion of test_real_shapes*.py still holds on several seeds,
# with margin (each run costs the suite time: measure again before shrinking one).
SIZES = {
    "deals_only": 1800,
    "one_of": 2200,
    "attributes": 3000,
    "constant_date": 2000,
    "leaky": 2000,
    "small_reps": 2000,
    "star_map": 2400,
    "ten_maps": 2600,
    "coin_flips": 2000,
}


def build(name: str, seed: int = 12) -> Shape:
    """The named shape drawn from a fixed seed, at its size."""
    return SHAPES[name](np.random.default_rng(seed), SIZES[name])


@dataclass(frozen=True)
class ShapeRun:
    """A shape written to disk and run once through the pipeline; `failure` says why a run failed."""

    shape: Shape
    input_dir: Path
    warehouse: Path
    failure: str | None


@cache
def shared_run(worlds: Worlds, name: str) -> ShapeRun:
    """The named shape run through the real pipeline (Dagster in process, DuckDB on disk) once per test
    session, by whichever test module or xdist worker asks first."""
    shape = build(name)

    def run(folder: Path) -> None:
        input_dir = shape.write(folder / "input")
        outcome = run_pipeline(Settings.resolve(input_dir, folder / "warehouse.duckdb", folder / "dash"))
        failure = None if outcome.success else outcome.failure or "the run failed"
        (folder / "outcome.json").write_text(json.dumps({"failure": failure}))

    folder = worlds.get(f"shape-{name}", run)
    failure = json.loads((folder / "outcome.json").read_text())["failure"]
    return ShapeRun(shape, folder / "input", folder / "warehouse.duckdb", failure)
