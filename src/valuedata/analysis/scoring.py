"""Open-deal scores: win probability, the factors behind it and the next best action, in the map's words."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import special

from valuedata.analysis.features import item_catalogue
from valuedata.analysis.model import SegmentModel
from valuedata.analysis.scored import MODEL_COLUMN, ScoredGroup, model_for, score_groups

TOP_FACTORS = 3
TEXT_WIDTH = 60
ACTION_KINDS = ("role", "value_proposition", "question")
DEAL_KEYS = ["deal_id", "rep_id", "segment", "map_id", MODEL_COLUMN]

OPEN_DEAL_SCORES_SCHEMA = {
    "deal_id": pl.Utf8,
    "rep_id": pl.Utf8,
    "segment": pl.Utf8,
    "win_probability": pl.Float64,
    "top_positive": pl.Utf8,
    "top_negative": pl.Utf8,
    "next_best_action": pl.Utf8,
    "expected_lift": pl.Float64,
    "next_best_action_text": pl.Utf8,
    "next_best_action_evidence": pl.Utf8,
    "model_segment": pl.Utf8,
    "map_id": pl.Utf8,
    "note": pl.Utf8,
}

PRESENT_PHRASE = {
    "role": "met the {}",
    "value_proposition": "presented: {}",
    "issue": "uncovered: {}",
    "question": "asked: {}",
}
ABSENT_PHRASE = {
    "role": "has not met the {}",
    "value_proposition": "not yet presented: {}",
    "issue": "not yet uncovered: {}",
    "question": "not yet asked: {}",
}
ACTION_PHRASE = {"role": "meet the {}", "value_proposition": "present: {}", "question": "ask: {}"}
NO_BETTER_THAN_BASE_RATE = ("no next best action: this segment's model does not predict better than the base "
                            "rate (analytics.model_quality), so no action can be said to raise the odds")
NO_PROVEN_DRIVER_MISSING = ("no next best action: no significant winning key player, value proposition or "
                            "question of the deal's map is missing")


def score_open_deals(
    deals: pl.DataFrame, models: dict[str, SegmentModel], items: pl.DataFrame, roles: pl.DataFrame
) -> pl.DataFrame:
    """One analytics.open_deal_scores row per open deal, in input order.

    A deal is scored by the model `valuedata.analysis.scored.model_for` picks (its segment's, else '*');
    deals no model scores get a null probability and a note saying why.
    """
    catalogue = item_catalogue(items, roles)
    open_deals = deals.filter(pl.col("outcome") == "open").with_row_index("_row")
    parts = [_score_group(group, catalogue) for group in score_groups(open_deals, models)]
    assigned = open_deals.with_columns(model_for(models))
    unscored = assigned.filter(pl.col(MODEL_COLUMN).is_null()).select("_row", note=_unscored_note(models))
    scored_columns = {c: t for c, t in OPEN_DEAL_SCORES_SCHEMA.items() if c not in DEAL_KEYS}
    template = pl.DataFrame(schema={"_row": pl.UInt32} | scored_columns)
    return (
        pl.concat([template, *parts, unscored], how="diagonal_relaxed")
        .join(assigned.select("_row", *DEAL_KEYS), on="_row")
        .sort("_row")
        .select(list(OPEN_DEAL_SCORES_SCHEMA))
        .cast(OPEN_DEAL_SCORES_SCHEMA)
    )


def _unscored_note(models: dict[str, SegmentModel]) -> pl.Expr:
    return (
        pl.when(pl.col("map_id").is_null()).then(pl.lit("no value map for this deal's segment; not scored"))
        .when(pl.lit(not models)).then(pl.lit("no model: not enough closed deals to fit one; not scored"))
        .otherwise(pl.lit("no model was fitted on deals of this value map; not scored"))
    )


def _score_group(group: ScoredGroup, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Scores for the open deals of one model: the scoring model's probability, the logistic model's
    significant factors, and a next best action only where the model beats the base rate."""
    deals, model, design = group.deals, group.model, group.design
    probability = model.score_design(design)
    evidence = _item_evidence(model)
    contributions = model.contributions(design) * evidence["significant"].to_numpy()
    factors = _factor_texts(deals, model, catalogue, design, contributions)
    scored = deals.select("_row", pl.Series("win_probability", probability))
    if not model.beats_base_rate:
        return scored.join(factors, on="_row", how="left").with_columns(note=pl.lit(NO_BETTER_THAN_BASE_RATE))
    action = _next_best_action(deals, model, catalogue, design, probability, evidence)
    return scored.join(factors, on="_row", how="left").join(action, on="_row", how="left").with_columns(
        note=pl.when(pl.col("next_best_action").is_null()).then(pl.lit(NO_PROVEN_DRIVER_MISSING)))


def _item_evidence(model: SegmentModel) -> pl.DataFrame:
    """The model's item evidence in item-column order."""
    order = pl.DataFrame({"feature": model.items.names}, schema={"feature": pl.Utf8})
    return order.join(model.evidence, on="feature", how="left", maintain_order="left")


def _phrase(templates: dict[str, str], kind: pl.Expr, text: pl.Expr) -> pl.Expr:
    """A per-kind phrase around the (shortened) map text."""
    cut = text.str.slice(0, TEXT_WIDTH).str.replace(r"[\s,;:.-]+\S*$", "")
    short = pl.when(text.str.len_chars() > TEXT_WIDTH).then(cut + "…").otherwise(text)
    expression = pl.lit(None, pl.Utf8)
    for name, template in templates.items():
        before, after = template.split("{}")
        phrase = pl.concat_str(pl.lit(before), short, pl.lit(after))
        expression = pl.when(kind == name).then(phrase).otherwise(expression)
    return expression


def _item_text(
    deals: pl.DataFrame, model: SegmentModel, catalogue: pl.DataFrame, rows: np.ndarray, items: np.ndarray
) -> pl.DataFrame:
    """(row, kind, text) for deal rows and item positions, in the deal's own map's words."""
    keys = model.items.keys.with_row_index("item")
    texts = catalogue.select("map_id", "kind", "item_id", "text")
    picked = pl.DataFrame({"_row": deals["_row"].to_numpy()[rows], "item": items.astype(np.uint32)})
    return (
        picked.with_columns(map_id=deals["map_id"].gather(rows))
        .join(keys, on="item", how="left", maintain_order="left")
        .join(texts, on=["map_id", "kind", "item_id"], how="left", maintain_order="left")
        .with_columns(pl.col("text").fill_null(pl.col("item_id")))
    )


def _factor_texts(deals, model, catalogue, design, contributions) -> pl.DataFrame:
    """top_positive / top_negative: the strongest significant contributions, '; '-joined."""
    offset = model.item_offset
    columns = []
    for name, sign in (("top_positive", 1.0), ("top_negative", -1.0)):
        signed = contributions * sign
        order = np.argsort(-signed, axis=1)[:, :TOP_FACTORS]
        rows = np.repeat(np.arange(deals.height), order.shape[1])
        ranks = np.tile(np.arange(order.shape[1]), deals.height)
        items = order.ravel()
        strong = signed[rows, items] > 1e-12
        rows, ranks, items = rows[strong], ranks[strong], items[strong]
        present = design[rows, offset + items] > 0
        text = _item_text(deals, model, catalogue, rows, items).with_columns(pl.Series("present", present))
        phrase = pl.when(pl.col("present")).then(_phrase(PRESENT_PHRASE, pl.col("kind"), pl.col("text"))).otherwise(
            _phrase(ABSENT_PHRASE, pl.col("kind"), pl.col("text"))
        )
        phrases = text.select("_row", phrase.alias("phrase"), rank=pl.Series(ranks))
        columns.append(_join_ranked(deals.select("_row"), phrases, order.shape[1]).alias(name))
    return deals.select("_row", *columns)


def _join_ranked(base: pl.DataFrame, phrases: pl.DataFrame, ranks: int) -> pl.Series:
    """Per base row, its phrases '; '-joined in rank order (null without any): one join per rank, which is far
    cheaper than grouping the phrases by row (152,000 open deals: 0.04 s against 1.4 s)."""
    if ranks == 0:  # a model without items
        return pl.Series([None] * base.height, dtype=pl.Utf8)
    for rank in range(ranks):
        part = phrases.filter(pl.col("rank") == rank).select("_row", pl.col("phrase").alias(f"_{rank}"))
        base = base.join(part, on="_row", how="left", maintain_order="left")
    parts = [pl.col(f"_{rank}") for rank in range(ranks)]
    joined = pl.when(pl.any_horizontal(p.is_not_null() for p in parts)).then(
        pl.concat_str(parts, separator="; ", ignore_nulls=True))
    return base.select(joined).to_series()


def _actionable(deals: pl.DataFrame, model: SegmentModel, catalogue: pl.DataFrame) -> np.ndarray:
    """(deals x items): the deal's map holds the item and it is a key player, value proposition or question
    (not a member of a one-of group: a deal cannot add a second product line)."""
    members = model.items.membership.join(
        catalogue.select("map_id", "kind", "item_id", "key_player"), on=["map_id", "kind", "item_id"], how="left"
    )
    key_player = (pl.col("kind") == "role") & pl.col("key_player").fill_null(False)
    members = members.filter((pl.col("kind").is_in(ACTION_KINDS[1:]) | key_player)
                             & ~pl.concat_str("kind", pl.lit(":"), "item_id").is_in(list(model.one_of_features)))
    matrix = np.zeros((len(model.items.maps) + 1, len(model.items)), dtype=bool)
    matrix[model.items.map_codes(members["map_id"]), members["feature"].to_numpy()] = True
    return matrix[model.items.map_codes(deals["map_id"])]


def _next_best_action(deals, model, catalogue, design, probability, evidence) -> pl.DataFrame:
    """The missing actionable item, a significant winning driver, whose adjusted odds ratio raises the
    deal's scored probability most (expected_lift: that odds ratio applied to the probability)."""
    offset = model.item_offset
    coef = evidence["log_odds"].to_numpy()
    significant = evidence["significant"].to_numpy()
    missing = design[:, offset:] == 0
    candidate = missing & _actionable(deals, model, catalogue) & (coef > 0) & significant
    logit = special.logit(np.clip(probability, 1e-9, 1 - 1e-9))
    gain = special.expit(logit[:, None] + coef[None, :]) - probability[:, None]
    ranking = np.column_stack([np.where(candidate, gain, -np.inf), np.full(deals.height, -np.inf)])
    best = ranking.argmax(axis=1)  # the extra column keeps argmax defined for a model without items
    rows = np.flatnonzero(np.isfinite(ranking[np.arange(deals.height), best]))
    items = best[rows]
    text = _item_text(deals, model, catalogue, rows, items)
    return text.select(
        "_row",
        next_best_action=pl.concat_str("kind", pl.lit(":"), "item_id"),
        next_best_action_text=_phrase(ACTION_PHRASE, pl.col("kind"), pl.col("text")),
        expected_lift=pl.Series(gain[rows, items]),
        next_best_action_evidence=pl.format(
            "significant (odds ratio {}, q = {})",
            pl.Series(np.exp(coef[items])).round(2),
            pl.Series(evidence["q_value"].to_numpy()[items]).round_sig_figs(2),
        ),
    )
