"""The article's sales tools, generated from the value map and ranked by the evidence of the deals.

`build_playbook` gives `analytics.playbook`: per segment, the key players to meet, and per key player
the questions to ask, the value propositions to present and the issues to listen for, each ranked by
the evidence that it goes with winning. `build_value_hierarchy` gives `analytics.value_hierarchy`:
that evidence rolled up the map, value propositions -> issues -> objectives, so a leader sees which
objectives carry the wins. Rules and the roll-up are described in docs/playbook.md.
"""

from __future__ import annotations

import polars as pl

from valuedata.vocabulary import ALL_SEGMENTS, SIGNIFICANCE

PLAYBOOK_KINDS = ("role", "value_proposition", "issue", "question")
HIERARCHY_KINDS = ("role", "objective", "issue", "value_proposition")
KIND_ORDER = pl.Enum(list(PLAYBOOK_KINDS))

WINS, UNCLEAR, NO_DATA, LOSES = "goes with winning", "no clear effect", "not enough data", "goes with losing"
VERDICT_ORDER = pl.Enum([WINS, UNCLEAR, NO_DATA, LOSES])
NEGATIVE, NOT_ENOUGH, IMPACT = "negative evidence", "not enough data", "impact not supported"
POOLED = "evidence pooled from all segments"
STATUS_WORDS = {  # analytics.driver_effects.status in plain words, for every surface
    "reference": "reference level (others compared with it)",
    "not_enough_data": "not enough data",
    "separation": "outcome almost perfectly predicted: no finite estimate",
    "collinear": "moves together with another item: no separate estimate",
}


def status_words(status: str | None, note: str | None) -> str:
    """A driver_effects row without an estimate, in words: its status and, when given, the note saying why."""
    words = STATUS_WORDS.get(status or "", STATUS_WORDS["not_enough_data"])
    return f"{words}: {note}" if note else words


CHANCE_EXCLUDES = ("its interval excludes 1, but with this many items tested at once an effect this size turns up "
                   "by chance too often (q = {}; clear needs q < 0.05)")
CHANCE_INCLUDES = "its interval includes 1, so no effect at all fits the deals too"


def chance_reason(q_value: float | None, ci_low: float | None, ci_high: float | None) -> str | None:
    """Why an estimate is not clear enough, in words; None when it is clear (q < 0.05) or there is no q-value."""
    if q_value is None or q_value < SIGNIFICANCE:
        return None
    if ci_low is not None and ci_high is not None and (ci_low > 1 or ci_high < 1):
        return CHANCE_EXCLUDES.format(f"{q_value:.2f}")
    return CHANCE_INCLUDES

PLAYBOOK_SCHEMA = {
    "segment": pl.Utf8,
    "role_id": pl.Utf8,
    "kind": pl.Utf8,
    "item_id": pl.Utf8,
    "text": pl.Utf8,
    "rank": pl.Int64,
    "odds_ratio": pl.Float64,
    "q_value": pl.Float64,
    "deals_with": pl.Int64,
    "map_id": pl.Utf8,
    "role_title": pl.Utf8,
    "role_rank": pl.Int64,
    "key_player": pl.Boolean,
    "verdict": pl.Utf8,
    "flag": pl.Utf8,
    "evidence": pl.Utf8,
    "deals_without": pl.Int64,
    "win_rate_with": pl.Float64,
    "win_rate_without": pl.Float64,
    "lift": pl.Float64,
    "or_ci_low": pl.Float64,
    "or_ci_high": pl.Float64,
    "significant": pl.Boolean,
    "effect": pl.Float64,
    "value": pl.Float64,
    "related_ids": pl.List(pl.Utf8),
    "asked_in": pl.Int64,
    "surface_rate": pl.Float64,
    "impact": pl.Boolean,
    "priority": pl.Int64,
    "position": pl.Int64,
    "evidence_segment": pl.Utf8,
    "note": pl.Utf8,
}

VALUE_HIERARCHY_SCHEMA = {
    "segment": pl.Utf8,
    "map_id": pl.Utf8,
    "role_id": pl.Utf8,
    "role_title": pl.Utf8,
    "kind": pl.Utf8,
    "item_id": pl.Utf8,
    "text": pl.Utf8,
    "rank": pl.Int64,
    "value": pl.Float64,
    "share": pl.Float64,
    "effect": pl.Float64,
    "inputs": pl.List(pl.Utf8),
    "verdict": pl.Utf8,
    "flag": pl.Utf8,
    "evidence": pl.Utf8,
    "impact": pl.Boolean,
    "priority": pl.Int64,
    "position": pl.Int64,
}

EFFECT_COLUMNS = [
    "kind", "item_id", "deals_with", "deals_without", "win_rate_with", "win_rate_without", "lift",
    "odds_ratio", "or_ci_low", "or_ci_high", "q_value", "significant", "status", "note",
]


def build_playbook(
    driver_effects: pl.DataFrame,
    items: pl.DataFrame,
    roles: pl.DataFrame,
    links: pl.DataFrame,
    coverage: pl.DataFrame,
    questions_asked: pl.DataFrame,
) -> pl.DataFrame:
    """analytics.playbook: one ranked row per (segment, role_id, kind, item_id) of the segment's map.

    `items`, `roles`, `links` are core.value_map_items / _roles / _links; `coverage` is
    analytics.deal_coverage (deal_id, segment, map_id); `questions_asked` is the result of
    sql/analytics/playbook_questions.sql (per segment, map and question: asked_in, surfaced, found).
    """
    scopes = evidence_scopes(playbook_scopes(roles, coverage), driver_effects)
    rows = (
        scopes.join(map_rows(items, roles), on="map_id")
        .join(_effects(driver_effects), on=["evidence_segment", "kind", "item_id"], how="left")
        .with_columns(effect=confident_effect())
    )
    issues = issue_values(rows, links)
    questions = question_values(rows, links, questions_asked)
    rows = (
        rows.join(issues, on=["segment", "map_id", "kind", "item_id"], how="left")
        .join(questions, on=["segment", "map_id", "kind", "item_id"], how="left")
        .join(_addresses(links), on=["map_id", "kind", "item_id"], how="left")
        .with_columns(_value(), related_ids=pl.coalesce("addressed_by", "uncovers", "addresses"))
        .with_columns(verdict=_verdict())
    )
    return (
        rank_rows(rows)
        .with_columns(flag=_flags(), evidence=evidence_text())
        .sort("segment", "role_rank", pl.col("kind").cast(KIND_ORDER), "rank")
        .select(list(PLAYBOOK_SCHEMA))
        .cast(PLAYBOOK_SCHEMA)
    )


def playbook_scopes(roles: pl.DataFrame, coverage: pl.DataFrame) -> pl.DataFrame:
    """(segment, map_id) pairs: each map's own segment ('*' for the catch-all map) and each deal segment."""
    own = roles.select("segment", "map_id")
    dealt = coverage.select("segment", "map_id").drop_nulls()
    return pl.concat([own, dealt]).unique().sort("segment", "map_id")


def evidence_scopes(scopes: pl.DataFrame, driver_effects: pl.DataFrame) -> pl.DataFrame:
    """Add `evidence_segment`: the segment itself, or '*' when it has no adjusted estimate and '*' has."""
    estimated = driver_effects.filter(pl.col("odds_ratio").is_not_null()).get_column("segment").unique()
    pooled = ~pl.col("segment").is_in(estimated.implode()) & pl.lit(ALL_SEGMENTS in estimated.to_list())
    return scopes.with_columns(evidence_segment=pl.when(pooled).then(pl.lit(ALL_SEGMENTS)).otherwise("segment"))


def map_rows(items: pl.DataFrame, roles: pl.DataFrame) -> pl.DataFrame:
    """One row per role, value proposition, issue and question of every map, with its role's title."""
    role_info = roles.select(
        "map_id", "role_id", role_title="title", key_player=pl.col("key_player").cast(pl.Boolean),
        role_position=pl.col("position").cast(pl.Int64),
    )
    role_rows = roles.select(
        "map_id", "role_id", kind=pl.lit("role"), item_id="role_id", text="title",
        impact=pl.lit(None, pl.Boolean), priority=pl.lit(None, pl.Int64), position=pl.col("position").cast(pl.Int64),
    )
    item_rows = items.filter(pl.col("kind").is_in(PLAYBOOK_KINDS[1:])).select(
        "map_id", "role_id", "kind", "item_id", "text", pl.col("impact").cast(pl.Boolean),
        pl.col("priority").cast(pl.Int64), pl.col("position").cast(pl.Int64),
    )
    return pl.concat([role_rows, item_rows]).join(role_info, on=["map_id", "role_id"], how="left")


def _effects(driver_effects: pl.DataFrame) -> pl.DataFrame:
    """The driver_effects columns the playbook uses, keyed by evidence_segment."""
    return driver_effects.select(pl.col("segment").alias("evidence_segment"), *EFFECT_COLUMNS)


def confident_effect() -> pl.Expr:
    """Log odds ratio we can rely on: the interval end nearest 1 when significant, 0 when not, null without estimate."""
    significant = pl.col("significant").fill_null(False)
    return (
        pl.when(pl.col("odds_ratio").is_null()).then(None)
        .when(significant & (pl.col("or_ci_low") > 1)).then(pl.col("or_ci_low").log())
        .when(significant & (pl.col("or_ci_high") < 1)).then(pl.col("or_ci_high").log())
        .otherwise(0.0)
    )


def _links(links: pl.DataFrame, relation: str) -> pl.DataFrame:
    """(map_id, from_id, issue) of one relation ('addresses' or 'uncovers')."""
    return links.filter(pl.col("relation") == relation).select("map_id", "from_id", issue="to_id")


def issue_values(rows: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Per (segment, issue): the issue's effect plus each addressing proposition's effect split over its issues."""
    addresses = _links(links, "addresses").with_columns(split=pl.len().over("map_id", "from_id"))
    props = rows.filter(kind="value_proposition").select("segment", "map_id", from_id="item_id", vp_effect="effect")
    shares = props.join(addresses, on=["map_id", "from_id"]).group_by("segment", "map_id", "issue").agg(
        vp_value=(pl.col("vp_effect").fill_null(0.0) / pl.col("split")).sum(),
        vp_evidenced=pl.col("vp_effect").is_not_null().any(),
        addressed_by=pl.col("from_id").sort(),
    )
    return (
        rows.filter(kind="issue")
        .join(shares, left_on=["segment", "map_id", "item_id"], right_on=["segment", "map_id", "issue"], how="left")
        .select(
            "segment", "map_id", "kind", "item_id", "addressed_by",
            issue_value=pl.col("effect").fill_null(0.0) + pl.col("vp_value").fill_null(0.0),
            issue_evidenced=pl.col("effect").is_not_null() | pl.col("vp_evidenced").fill_null(False),
        )
    )


def question_values(rows: pl.DataFrame, links: pl.DataFrame, asked: pl.DataFrame) -> pl.DataFrame:
    """Per (segment, question): times asked, share that surfaced one of its issues, value of what it surfaces.

    uncover_value = sum over the issues it uncovers of (share of engagements where it was asked that
    recorded the issue) x (the issue's confident effect). Segment '*' counts every segment's engagements.
    `asked`: segment, map_id, question, asked_in, surfaced, found (list of {issue, engagements}).
    """
    keys = ["segment", "map_id", "question"]
    times = _with_all_segments(asked.select(*keys, "asked_in", "surfaced"), keys)
    found = (asked.select(*keys, "found").explode("found").drop_nulls("found").unnest("found")
             .rename({"engagements": "found"}))
    found = _with_all_segments(found, [*keys, "issue"])
    issue_effects = rows.filter(kind="issue").select("segment", "map_id", issue="item_id", issue_effect="effect")
    surfaced_value = (
        found.join(times, on=keys)
        .join(issue_effects, on=["segment", "map_id", "issue"], how="left")
        .group_by(keys)
        .agg(uncover_value=(pl.col("found") / pl.col("asked_in") * pl.col("issue_effect").fill_null(0.0)).sum())
    )
    uncovered = (
        rows.filter(kind="question").select("segment", "map_id", "kind", question="item_id")
        .join(_links(links, "uncovers"), left_on=["map_id", "question"], right_on=["map_id", "from_id"], how="left")
        .join(issue_effects, on=["segment", "map_id", "issue"], how="left")
        .group_by(*keys, "kind")
        .agg(uncovers=pl.col("issue").drop_nulls().sort(), issues_evidenced=pl.col("issue_effect").is_not_null().any())
    )
    return (
        uncovered.join(times, on=keys, how="left")
        .join(surfaced_value, on=keys, how="left")
        .select(
            "segment", "map_id", "kind", "uncovers", "asked_in", "uncover_value", "issues_evidenced",
            item_id="question", surface_rate=pl.col("surfaced") / pl.col("asked_in"),
        )
    )


def _with_all_segments(counts: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The counts per segment plus their sums over all segments as segment '*'."""
    pooled = counts.group_by([k for k in keys if k != "segment"]).agg(pl.all().exclude("segment").sum())
    return pl.concat([counts, pooled.with_columns(segment=pl.lit(ALL_SEGMENTS)).select(counts.columns)])


def _addresses(links: pl.DataFrame) -> pl.DataFrame:
    """(map_id, kind, item_id, addresses): the issues each value proposition addresses."""
    return _links(links, "addresses").group_by("map_id", "from_id").agg(addresses=pl.col("issue").sort()).select(
        "map_id", "addresses", kind=pl.lit("value_proposition"), item_id="from_id")


def _value() -> pl.Expr:
    """`value`: the issue roll-up for issues, own effect plus uncover value for questions, else the effect."""
    question_value = pl.col("effect").fill_null(0.0) + pl.col("uncover_value").fill_null(0.0)
    return (
        pl.when(pl.col("kind") == "issue").then("issue_value")
        .when(pl.col("kind") == "question").then(question_value)
        .otherwise("effect")
        .alias("value")
    )


def _verdict() -> pl.Expr:
    """Winning / unclear / losing from the ranked quantity; 'not enough data' without any estimate."""
    is_question = pl.col("kind") == "question"
    score = pl.when(is_question).then("value").otherwise("effect")
    evidenced = pl.col("effect").is_not_null() | (is_question & pl.col("issues_evidenced").fill_null(False))
    return (
        pl.when(~evidenced).then(pl.lit(NO_DATA))
        .when(score > 0).then(pl.lit(WINS))
        .when(score < 0).then(pl.lit(LOSES))
        .otherwise(pl.lit(UNCLEAR))
    )


def rank_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """`rank` within (segment, role, kind) -- roles ranked among the segment's roles -- and `role_rank`.

    Order: verdict (winning, unclear, not enough data, losing), then the question value or the lower
    end of the odds-ratio interval, the odds ratio, the raw lift, deals with the item, map order.
    """
    key = pl.when(pl.col("kind") == "question").then("value").otherwise(pl.col("or_ci_low").log())
    group = pl.when(pl.col("kind") == "role").then(pl.lit("")).otherwise("role_id")
    ranked = (
        rows.with_columns(_key=key, _group=group)
        .sort(
            [pl.col("verdict").cast(VERDICT_ORDER), "_key", "odds_ratio", "lift", "deals_with", "position", "item_id"],
            descending=[False, True, True, True, True, False, False],
            nulls_last=True,
        )
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("segment", "_group", "kind"))
    )
    role_ranks = ranked.filter(kind="role").select("segment", "role_id", role_rank="rank")
    return ranked.join(role_ranks, on=["segment", "role_id"], how="left").drop("_key", "_group")


def _flags() -> pl.Expr:
    """`flag`: the cautions of a row, joined with '; ' (null when none)."""
    unsupported = (
        (pl.col("kind") == "issue") & pl.col("impact").fill_null(False)
        & pl.col("issue_evidenced").fill_null(False) & (pl.col("issue_value") <= 0)
    )
    flags = pl.concat_list(
        pl.when(pl.col("verdict") == LOSES).then(pl.lit(NEGATIVE)),
        pl.when(pl.col("verdict") == NO_DATA).then(pl.lit(NOT_ENOUGH)),
        pl.when(unsupported).then(pl.lit(IMPACT)),
        pl.when(pl.col("evidence_segment") != pl.col("segment")).then(pl.lit(POOLED)),
    ).list.drop_nulls()
    return pl.when(flags.list.len() > 0).then(flags.list.join("; "))


def evidence_text() -> pl.Expr:
    """`evidence`: the raw comparison, the adjusted odds and (questions) how often asking surfaced an issue."""
    parts = [_raw_sentence(), _adjusted_sentence(), _asked_sentence(), _pooled_sentence()]
    return pl.concat_str(parts, separator=" ", ignore_nulls=True)


def _raw_sentence() -> pl.Expr:
    kind = pl.col("kind")
    subject = (
        pl.when(kind == "role").then(pl.format("Deals where the {} was met", "text"))
        .when(kind == "value_proposition").then(pl.lit("Deals where it was presented"))
        .when(kind == "issue").then(pl.lit("Deals where it came up"))
        .otherwise(pl.lit("Deals where it was asked"))
    )
    compared = pl.format(
        "{} won {} against {} without (n={} / {}).",
        subject, percent("win_rate_with"), percent("win_rate_without"),
        thousands("deals_with"), thousands("deals_without"),
    )
    everyone = "Every closed deal has it, so there is nothing to compare."
    return (
        pl.when(pl.col("deals_with").fill_null(0) == 0).then(pl.lit("No closed deal has it yet."))
        .when(pl.col("deals_without").fill_null(0) == 0).then(pl.lit(everyone))
        .otherwise(compared)
    )


def _adjusted_sentence() -> pl.Expr:
    excludes = (pl.col("or_ci_low") > 1) | (pl.col("or_ci_high") < 1)
    clear = (
        pl.when(pl.col("significant")).then(pl.lit("a clear effect"))
        .when(excludes).then(pl.format("not clear: " + CHANCE_EXCLUDES, pl.col("q_value").round(2).cast(pl.Utf8)))
        .otherwise(pl.lit("not clear: " + CHANCE_INCLUDES))
    )
    status = pl.col("status").replace_strict(STATUS_WORDS, default=STATUS_WORDS["not_enough_data"],
                                             return_dtype=pl.Utf8)
    no_estimate = pl.concat_str(pl.lit("No adjusted estimate: "), status,
                                pl.when(pl.col("note").is_not_null()).then(pl.format(": {}", "note")),
                                pl.lit("."), ignore_nulls=True)
    return (
        pl.when(pl.col("odds_ratio").is_null()).then(no_estimate)
        .otherwise(pl.format(
            "Adjusted for everything else, the odds of winning are multiplied by {} (95% CI {} to {}): {}.",
            decimal("odds_ratio"), decimal("or_ci_low"), decimal("or_ci_high"), clear,
        ))
    )


def _asked_sentence() -> pl.Expr:
    surfaced = pl.format(" {} of those meetings brought up an issue it uncovers.", percent("surface_rate"))
    asked = pl.concat_str(
        pl.format("Asked in {} meetings.", thousands("asked_in")),
        pl.when(pl.col("surface_rate").is_not_null()).then(surfaced),
        ignore_nulls=True,
    )
    return (
        pl.when(pl.col("kind") != "question").then(None)
        .when(pl.col("asked_in").fill_null(0) == 0).then(pl.lit("Never asked in the CRM data."))
        .otherwise(asked)
    )


def _pooled_sentence() -> pl.Expr:
    pooled = pl.col("evidence_segment") != pl.col("segment")
    return pl.when(pooled).then(pl.lit("(All segments pooled: this segment has no adjusted model yet.)"))


def percent(column: str) -> pl.Expr:
    """0.5812 -> '58%'."""
    return (pl.col(column) * 100).round(0).cast(pl.Int64).cast(pl.Utf8) + "%"


def thousands(column: str) -> pl.Expr:
    """1204 -> '1,204' (non-negative integers)."""
    digits = pl.col(column).fill_null(0).cast(pl.Int64).cast(pl.Utf8).str.reverse()
    return digits.str.replace_all(r"(\d{3})", "$1,").str.strip_chars_end(",").str.reverse()


def decimal(column: str) -> pl.Expr:
    """2.17791 -> '2.18'."""
    return pl.col(column).round(2).cast(pl.Utf8)


def build_value_hierarchy(playbook: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """analytics.value_hierarchy: playbook evidence rolled up value propositions -> issues -> objectives -> roles.

    A proposition's value is its confident effect; an issue's, its own plus its share of the
    propositions addressing it (the playbook's issue `value`); a role's, the sum over its issues;
    each objective gets its role's value split by priority weight 1/priority.
    """
    props = hierarchy_base(playbook, "value_proposition").with_columns(
        value=pl.col("effect").fill_null(0.0), inputs=pl.lit([], pl.List(pl.Utf8)),
        evidenced=pl.col("effect").is_not_null(),
    )
    issues = hierarchy_issues(playbook, props)
    totals = issues.group_by("segment", "role_id").agg(
        role_value=pl.col("value").sum(), role_inputs=pl.col("item_id").sort(),
        role_evidenced=pl.col("evidenced").any(),
    )
    objectives = objective_rows(playbook, items, totals)
    objective_ids = objectives.group_by("segment", "role_id").agg(inputs=pl.col("item_id").sort())
    roles = (
        hierarchy_base(playbook, "role")
        .join(totals, on=["segment", "role_id"], how="left")
        .join(objective_ids, on=["segment", "role_id"], how="left")
        .with_columns(value=pl.col("role_value").fill_null(0.0), evidenced=pl.col("role_evidenced").fill_null(False))
    )
    return hierarchy_columns(pl.concat([roles, objectives, issues, props], how="diagonal_relaxed"))


def hierarchy_base(playbook: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The identifying columns of the playbook rows of one kind."""
    return playbook.filter(kind=kind).select(
        "segment", "map_id", "role_id", "role_title", "kind", "item_id", "text", "effect", "impact", "priority",
        "position",
    )


def hierarchy_issues(playbook: pl.DataFrame, props: pl.DataFrame) -> pl.DataFrame:
    """Issue rows: the playbook's rolled-up value; evidenced when the issue or an addressing proposition is."""
    addressed = playbook.filter(kind="issue").select("segment", "item_id", vp="related_ids").explode("vp").join(
        props.select("segment", vp="item_id", vp_evidenced="evidenced"), on=["segment", "vp"]
    ).group_by("segment", "item_id").agg(pl.col("vp_evidenced").any())
    return (
        hierarchy_base(playbook, "issue")
        .join(playbook.select("segment", "kind", "item_id", "value", inputs="related_ids"),
              on=["segment", "kind", "item_id"])
        .join(addressed, on=["segment", "item_id"], how="left")
        .with_columns(evidenced=pl.col("effect").is_not_null() | pl.col("vp_evidenced").fill_null(False))
        .drop("vp_evidenced")
    )


def objective_rows(playbook: pl.DataFrame, items: pl.DataFrame, totals: pl.DataFrame) -> pl.DataFrame:
    """Each objective of each playbook segment, with its role's value times its priority weight."""
    scopes = playbook.filter(kind="role").select("segment", "map_id", "role_id", "role_title")
    objectives = items.filter(kind="objective").select(
        "map_id", "role_id", "item_id", "text", pl.col("impact").cast(pl.Boolean),
        pl.col("priority").cast(pl.Int64), pl.col("position").cast(pl.Int64),
    )
    lowest = pl.col("priority").max().over("map_id", "role_id").fill_null(0) + 1
    weight = 1.0 / pl.coalesce("priority", lowest)
    weighted = objectives.with_columns(weight=weight / weight.sum().over("map_id", "role_id"))
    return (
        scopes.join(weighted, on=["map_id", "role_id"])
        .join(totals, on=["segment", "role_id"], how="left")
        .select(
            "segment", "map_id", "role_id", "role_title", "item_id", "text", "impact", "priority", "position",
            kind=pl.lit("objective"), effect=pl.lit(None, pl.Float64),
            value=pl.col("role_value").fill_null(0.0) * pl.col("weight"),
            inputs=pl.col("role_inputs").fill_null([]), evidenced=pl.col("role_evidenced").fill_null(False),
        )
    )


def hierarchy_columns(rows: pl.DataFrame) -> pl.DataFrame:
    """Share, rank, verdict, flag and evidence of the hierarchy rows."""
    positive = pl.col("value").clip(lower_bound=0).sum().over("segment", "kind")
    verdict = (
        pl.when(~pl.col("evidenced")).then(pl.lit(NO_DATA))
        .when(pl.col("value") > 0).then(pl.lit(WINS))
        .when(pl.col("value") < 0).then(pl.lit(LOSES))
        .otherwise(pl.lit(UNCLEAR))
    )
    return (
        rows.with_columns(share=pl.when(pl.col("value") > 0).then(pl.col("value") / positive), verdict=verdict)
        .sort(["value", "priority", "position", "item_id"], descending=[True, False, False, False], nulls_last=True)
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("segment", "kind"))
        .with_columns(flag=_hierarchy_flags(), evidence=_hierarchy_evidence())
        .sort("segment", pl.col("kind").cast(pl.Enum(list(HIERARCHY_KINDS))), "rank")
        .select(list(VALUE_HIERARCHY_SCHEMA))
        .cast(VALUE_HIERARCHY_SCHEMA)
    )


def _hierarchy_flags() -> pl.Expr:
    claims = pl.col("kind").is_in(["objective", "issue"]) & pl.col("impact").fill_null(False)
    flags = pl.concat_list(
        pl.when(pl.col("verdict") == LOSES).then(pl.lit(NEGATIVE)),
        pl.when(pl.col("verdict") == NO_DATA).then(pl.lit(NOT_ENOUGH)),
        pl.when(claims & pl.col("evidenced") & (pl.col("value") <= 0)).then(pl.lit(IMPACT)),
    ).list.drop_nulls()
    return pl.when(flags.list.len() > 0).then(flags.list.join("; "))


def _hierarchy_evidence() -> pl.Expr:
    role_path = pl.format("through the {}'s issues and the propositions that address them", "role_title")
    through = (
        pl.when(pl.col("kind") == "objective").then(role_path)
        .when(pl.col("kind") == "role").then(pl.lit("through their issues and the propositions that address them"))
        .when(pl.col("kind") == "issue").then(pl.lit("from raising it and from the propositions that address it"))
        .otherwise(pl.lit("from presenting it"))
    )
    return (
        pl.when(pl.col("verdict") == NO_DATA).then(pl.lit("Not enough data yet."))
        .when(pl.col("verdict") == WINS)
        .then(pl.format("Carries {} of the segment's evidence of winning, {}.", percent("share"), through))
        .when(pl.col("verdict") == LOSES).then(pl.format("Goes with losing, {}.", through))
        .otherwise(pl.lit("No clear effect either way."))
    )
