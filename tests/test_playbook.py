"""The evidence-ranked playbook: planted drivers come first, losers are flagged, reports render safely."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from conftest import REPO
from dashboard_worlds import seeds  # noqa: F401 - session fixture: the seeds through the real pipeline
from valuedata.analysis.playbook import (
    IMPACT, NEGATIVE, NOT_ENOUGH, PLAYBOOK_SCHEMA, POOLED, VALUE_HIERARCHY_SCHEMA, build_playbook,
)
from valuedata.errors import ValuedataError
from valuedata.playbook_report import render_playbook
from valuedata.warehouse.sql import sql_text

CONTRACT_COLUMNS = ["segment", "role_id", "kind", "item_id", "text", "rank", "odds_ratio", "q_value", "deals_with"]


@dataclass
class World:
    """A published warehouse (with the pipeline's playbook tables) and the truth planted in its inputs."""

    warehouse: Path
    truth: dict
    playbook: pl.DataFrame
    hierarchy: pl.DataFrame


@pytest.fixture(scope="module")
def world(seeds) -> World:
    """The worked example, with markup in a few texts, as the pipeline published it."""
    with duckdb.connect(str(seeds.warehouse), read_only=True) as conn:
        playbook = conn.sql("SELECT * FROM analytics.playbook").pl()
        hierarchy = conn.sql("SELECT * FROM analytics.value_hierarchy").pl()
    truth = json.loads((REPO / "seeds" / "_truth" / "truth.json").read_text())
    return World(seeds.warehouse, truth, playbook, hierarchy)


@pytest.fixture
def conn(world):
    with duckdb.connect(str(world.warehouse), read_only=True) as connection:
        yield connection


def _row(playbook: pl.DataFrame, segment: str, kind: str, item_id: str) -> dict:
    return playbook.filter(segment=segment, kind=kind, item_id=item_id).row(0, named=True)


def test_playbook_follows_the_contract(world):
    playbook = world.playbook
    assert playbook.columns[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert dict(playbook.schema) == PLAYBOOK_SCHEMA
    assert playbook.select("segment", "role_id", "kind", "item_id").is_duplicated().sum() == 0
    assert set(playbook["kind"]) == {"role", "value_proposition", "issue", "question"}
    assert set(playbook["segment"]) == set(world.truth["segments"])
    groups = playbook.with_columns(group=pl.when(pl.col("kind") == "role").then(pl.lit("")).otherwise("role_id"))
    ranks = groups.group_by("segment", "group", "kind").agg(pl.col("rank").sort(), n=pl.len())
    assert all(r == list(range(1, n + 1)) for r, n in ranks.select("rank", "n").iter_rows())


@pytest.mark.parametrize("segment", ["discrete-manufacturing", "food-processing"])
def test_planted_drivers_rank_first(world, segment):
    drivers = world.truth["segments"][segment]["drivers"]
    for kind, item_id in drivers.items():
        row = _row(world.playbook, segment, kind, item_id)
        assert row["rank"] == 1, row
        assert row["verdict"] == "goes with winning" and row["flag"] is None, row
    assert _row(world.playbook, segment, "role", drivers["role"])["role_rank"] == 1


@pytest.mark.parametrize("segment", ["discrete-manufacturing", "food-processing"])
def test_losing_value_proposition_is_last_and_flagged(world, segment):
    item_id = world.truth["segments"][segment]["negative"]
    row = _row(world.playbook, segment, "value_proposition", item_id)
    peers = world.playbook.filter(segment=segment, kind="value_proposition", role_id=row["role_id"])
    assert row["rank"] == peers.height > 1
    assert NEGATIVE in row["flag"] and row["odds_ratio"] < 1
    assert "multiplied by 0." in row["evidence"] and "a clear effect" in row["evidence"]


def test_question_value_includes_what_it_surfaces(world):
    segment = "discrete-manufacturing"
    question = _row(world.playbook, segment, "question", world.truth["segments"][segment]["drivers"]["question"])
    assert question["asked_in"] > 0 and 0 < question["surface_rate"] <= 1
    assert question["value"] > question["effect"] > 0
    assert re.search(r"Asked in [\d,]+ meetings\. \d+% of those meetings brought up an issue", question["evidence"])


def test_value_hierarchy_rolls_wins_up_to_the_drivers_objectives(world):
    hierarchy = world.hierarchy
    assert dict(hierarchy.schema) == VALUE_HIERARCHY_SCHEMA
    for segment, truth in world.truth["segments"].items():
        objectives = hierarchy.filter(segment=segment, kind="objective")
        assert objectives.filter(rank=1).item(0, "role_id") == truth["drivers"]["role"]
        assert objectives.get_column("share").sum() == pytest.approx(1.0)
        issue = hierarchy.filter(segment=segment, kind="issue", item_id=truth["drivers"]["issue"]).row(0, named=True)
        assert issue["rank"] == 1 and truth["drivers"]["value_proposition"] in issue["inputs"]


def test_markdown_playbook_reads_top_down(conn, world):
    segment = "discrete-manufacturing"
    drivers = world.truth["segments"][segment]["drivers"]
    text = render_playbook(conn, segment)
    who = text.split("## Who to meet", 1)[1]
    top_role = _row(world.playbook, segment, "role", drivers["role"])["text"]
    assert who.split("\n| 1 | ", 1)[1].startswith(top_role)
    for heading in ("## The one-page brief", "### Questions to ask", "### Value propositions",
                    "### Issues to listen for", "### Impact the deals do not support", "### What the map may lack"):
        assert heading in text
    question = _row(world.playbook, segment, "question", drivers["question"])["text"]
    assert f"1. **“{question}”**" in text
    assert not re.search(r"(?<!\\)<script", text) and "\\<script\\>" in text


@pytest.mark.parametrize("segment", ["discrete-manufacturing", "food-processing"])
def test_brief_names_the_planted_drivers_in_the_maps_words(conn, world, segment):
    truth = world.truth["segments"][segment]
    text = render_playbook(conn, segment)
    brief = text.split("## The one-page brief", 1)[1].split("**How to read the evidence.**", 1)[0]
    words = {kind: _row(world.playbook, segment, kind, item)["text"] for kind, item in truth["drivers"].items()}
    assert f"### Reach the {words['role']}" in brief
    assert f"- Ask: “{words['question']}”" in brief and f"“{words['value_proposition']}”" in brief
    assert f"“{words['issue']}”" in brief
    negative = _row(world.playbook, segment, "value_proposition", truth["negative"])["text"]
    assert f"**Do not lead with:** “{negative}”" in brief
    assert "**Coaching:** Reps " in brief
    assert "Objectives that carry the wins" not in text and f"Segment {segment} ·" in text
    for lookalike in truth["lookalikes"]:
        flagged = _row(world.playbook, segment, lookalike["kind"], lookalike["item_id"])
        if flagged["significant"]:  # a chance look-alike that passed the test is flagged, never briefed
            assert f"Reach the {flagged['text']}" not in brief
            assert "look-alike" in text.split(f"| {flagged['text']} |", 1)[1].split("\n", 1)[0]


def test_not_clear_says_why_in_plain_words(world):
    unclear = world.playbook.filter(pl.col("odds_ratio").is_not_null() & ~pl.col("significant"))
    for row in unclear.iter_rows(named=True):
        if row["or_ci_low"] > 1 or row["or_ci_high"] < 1:
            assert "interval excludes 1, but with this many items tested at once" in row["evidence"], row
            assert f"(q = {round(row['q_value'], 2)}; clear needs q < 0.05)" in row["evidence"], row
        else:
            assert "its interval includes 1, so no effect at all fits the deals too" in row["evidence"], row


def test_role_playbook_shows_one_role(conn, world):
    segment = "discrete-manufacturing"
    role = _row(world.playbook, segment, "role", world.truth["segments"][segment]["drivers"]["role"])
    text = render_playbook(conn, segment, role["text"].upper())
    assert text.count("### Questions to ask") == 1 and f"## 1. {role['text']}" in text
    assert "## Who to meet" not in text
    assert render_playbook(conn, segment, role["role_id"]) == text


def test_html_is_escaped_and_self_contained(conn, world):
    html = render_playbook(conn, "discrete-manufacturing", fmt="html")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;Changeovers &amp; small batches" in html
    assert "&lt;b&gt;IT Director&lt;/b&gt;" in html
    assert not re.search(r"<script|<img|<b>it director", html.lower())
    assert not re.search(r"<link|@import|url\(|https?://", html)
    assert "script-src" not in html and "default-src 'none'" in html


def test_unknown_segment_role_or_format_names_the_valid_ones(conn):
    with pytest.raises(ValuedataError, match="discrete-manufacturing, food-processing"):
        render_playbook(conn, "retail")
    with pytest.raises(ValuedataError, match=r"production_manager \(Production Manager\)"):
        render_playbook(conn, "discrete-manufacturing", "cfo")
    with pytest.raises(ValuedataError, match="md, html"):
        render_playbook(conn, "discrete-manufacturing", fmt="pdf")


# --- ranking rules on a hand-built map -------------------------------------------------------------


def _tiny_map() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One map, one role: two propositions, two issues, two questions that both uncover issue i_win."""
    roles = pl.DataFrame({"map_id": ["m"], "segment": ["s"], "role_id": ["boss"], "title": ["Boss"],
                          "key_player": [True], "position": [0]})
    items = pl.DataFrame({
        "map_id": "m", "role_id": "boss",
        "kind": ["objective", "value_proposition", "value_proposition", "value_proposition", "issue", "issue",
                 "question", "question"],
        "item_id": ["o1", "vp_a", "vp_b", "vp_c", "i_win", "i_flat", "q_often", "q_rarely"],
        "text": ["Grow", "A", "B", "C", "Win issue", "Flat issue", "Often?", "Rarely?"],
        "impact": [True, True, True, True, True, True, False, False],
        "priority": [1, None, None, None, 1, 2, None, None],
        "position": list(range(8)),
    })
    links = pl.DataFrame({
        "map_id": "m", "from_kind": ["value_proposition"] * 3 + ["question"] * 2,
        "from_id": ["vp_a", "vp_b", "vp_c", "q_often", "q_rarely"],
        "relation": ["addresses"] * 3 + ["uncovers"] * 2, "to_kind": "issue",
        "to_id": ["i_flat", "i_flat", "i_flat", "i_win", "i_win"],
    })
    return items, roles, links


def _effect(segment: str, kind: str, item_id: str, odds: float | None = None, ci: tuple = (None, None),
            significant: bool = False) -> dict:
    return {"segment": segment, "kind": kind, "item_id": item_id, "deals_with": 100, "deals_without": 200,
            "win_rate_with": 0.4, "win_rate_without": 0.3, "lift": 0.1, "lift_ci_low": 0.0, "lift_ci_high": 0.2,
            "p_value": None, "q_value": 0.01 if significant else 0.5, "odds_ratio": odds, "or_ci_low": ci[0],
            "or_ci_high": ci[1], "significant": significant,
            "status": "estimated" if odds else "not_enough_data", "note": None if odds else "under 20 deals with it"}


def _tiny_playbook(segment: str = "s") -> pl.DataFrame:
    items, roles, links = _tiny_map()
    effects = pl.DataFrame([
        _effect(segment, "role", "boss", 2.0, (1.5, 2.7), True),
        _effect(segment, "value_proposition", "vp_a", 0.5, (0.3, 0.8), True),
        _effect(segment, "value_proposition", "vp_b"),
        _effect(segment, "value_proposition", "vp_c", 1.1, (0.8, 1.5)),
        _effect(segment, "issue", "i_win", 3.0, (2.0, 4.5), True),
        _effect(segment, "issue", "i_flat", 1.2, (0.9, 1.6)),
        _effect(segment, "question", "q_often", 1.0, (0.7, 1.4)),
        _effect(segment, "question", "q_rarely", 1.3, (0.9, 1.9)),
    ], infer_schema_length=None)
    coverage = pl.DataFrame({"deal_id": ["d1", "d2"], "segment": "s", "map_id": "m"})
    tags = pl.DataFrame({  # e1, e2 ask q_often and record i_win; e3 asks q_rarely; e4 both, recording nothing
        "engagement_id": ["e1", "e1", "e2", "e2", "e3", "e4", "e4"],
        "deal_id": ["d1", "d1", "d1", "d1", "d2", "d2", "d2"],
        "kind": ["question", "issue", "question", "issue", "question", "question", "question"],
        "item_id": ["q_often", "i_win", "q_often", "i_win", "q_rarely", "q_rarely", "q_often"],
    })
    return build_playbook(effects, items, roles, links, coverage, _questions_asked(coverage, tags, links))


def _questions_asked(coverage: pl.DataFrame, tags: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """sql/analytics/playbook_questions.sql on a DuckDB holding the three relations it reads."""
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA core; CREATE SCHEMA analytics")
        for table, frame in [("analytics.deal_coverage", coverage), ("core.engagement_tags", tags),
                             ("core.value_map_links", links)]:
            conn.register("frame", frame)
            conn.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
            conn.unregister("frame")
        return conn.sql(sql_text("analytics/playbook_questions.sql")).pl()


def test_order_is_winning_unclear_no_data_losing():
    props = _tiny_playbook().filter(kind="value_proposition").sort("rank")
    assert props["item_id"].to_list() == ["vp_c", "vp_b", "vp_a"]
    assert props["flag"].to_list() == [None, NOT_ENOUGH, NEGATIVE]


def test_questions_rank_by_how_often_they_surface_winning_issues():
    questions = _tiny_playbook().filter(kind="question").sort("rank")
    assert questions["item_id"].to_list() == ["q_often", "q_rarely"]
    often, rarely = questions.rows(named=True)
    assert often["surface_rate"] == pytest.approx(2 / 3) and rarely["surface_rate"] == 0
    assert often["value"] == pytest.approx(2 / 3 * math.log(2.0))
    assert often["verdict"] == "goes with winning" and rarely["verdict"] == "no clear effect"


def test_no_estimate_says_its_status_and_why():
    vp_b = _tiny_playbook().filter(kind="value_proposition", item_id="vp_b").row(0, named=True)
    assert "No adjusted estimate: not enough data: under 20 deals with it." in vp_b["evidence"]


def test_impact_not_supported_only_where_nothing_wins():
    issues = _tiny_playbook().filter(kind="issue")
    assert issues.filter(item_id="i_flat").item(0, "flag") == IMPACT
    assert issues.filter(item_id="i_win").item(0, "flag") is None


def test_segment_without_a_model_falls_back_to_all_segments():
    playbook = _tiny_playbook(segment="*")
    assert set(playbook["evidence_segment"]) == {"*"} and set(playbook["segment"]) == {"s"}
    assert playbook.get_column("flag").str.contains(POOLED).all()
    assert playbook.filter(kind="role").item(0, "evidence").endswith("has no adjusted model yet.)")
