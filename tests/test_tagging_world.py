"""The generator's notes world, and a whole `valuedata run` on it: the planted drivers come back."""

import json

import polars as pl
import pytest

from conftest import query, run_cli
from valuedata.generate import generate


def test_notes_world_is_reproducible_and_consistent(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        generate(folder, deals=300, seed=5, notes_share=0.7)
    for name in ("engagements.csv", "deals.csv", "_truth/engagement_items.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    engagements = pl.read_csv(a / "engagements.csv", infer_schema=False)
    items = pl.read_csv(a / "_truth" / "engagement_items.csv")
    tagged = engagements.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in ("value_propositions", "issues", "questions")))
    with_items = items.filter(pl.col("mention") == "item")["engagement_id"].n_unique()
    assert 0.2 < tagged.height / with_items < 0.4  # 70% of the engagements with items keep only notes
    listed = (engagements.select("engagement_id", item_id=pl.col("issues").str.split(";")).explode("item_id")
              .drop_nulls())
    truth = items.filter((pl.col("kind") == "issue") & pl.col("in_field")).select("engagement_id", "item_id")
    assert listed.sort(pl.all()).equals(truth.sort(pl.all()))
    notes = engagements.join(items.filter(pl.col("mention") == "negated"), on="engagement_id")
    assert notes.height > 20 and notes["notes"].str.contains(r"no complaints|not a concern|never came up|next time|later|not worried|no issues|did not get to").all()
    assert items.filter(pl.col("mention") == "negated").join(items.filter(pl.col("mention") == "item"),
                                                             on=["engagement_id", "kind", "item_id"]).is_empty()


def test_other_worlds_write_no_notes_truth(tmp_path):
    generate(tmp_path, deals=100, seed=5)
    assert not (tmp_path / "_truth" / "engagement_items.csv").exists()


@pytest.mark.slow
def test_a_run_on_the_notes_world_recovers_the_planted_drivers(tmp_path):
    data = tmp_path / "world"
    generate(data, deals=4000, seed=7, notes_share=0.7)
    warehouse = tmp_path / "valuedata.duckdb"
    result = run_cli("run", "--input", str(data), "--warehouse", str(warehouse), "--dashboards", str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr
    truth = json.loads((data / "_truth" / "truth.json").read_text())
    for segment, planted in truth["segments"].items():
        expected = {(k, i) for k, i in planted["drivers"].items()} | {("value_proposition", planted["negative"])}
        found = set(query(warehouse, "SELECT kind, item_id FROM analytics.driver_effects "
                                     f"WHERE significant AND segment = '{segment}' AND kind <> 'attribute'"))
        assert expected <= found, (segment, expected - found)
        assert len(found - expected) <= 1, (segment, found - expected)
    # coverage counts notes tags: deals whose engagements carry only notes still show what was presented
    [(notes_only_deals,)] = query(warehouse, """
        SELECT count(*) FROM analytics.deal_coverage c WHERE len(c.value_propositions_presented) > 0
        AND NOT EXISTS (SELECT 1 FROM core.engagement_tags t WHERE t.deal_id = c.deal_id AND t.source = 'field')""")
    assert notes_only_deals > 200
    [(used, share)] = query(warehouse, "SELECT count(*) FILTER (WHERE used), avg(notes_share) FROM analytics.tagging_quality")
    assert used >= 130 and share > 0.2
    # every surface says how much evidence comes from notes
    [(engagements, tagged)] = query(warehouse, "SELECT (SELECT count(*) FROM core.engagements), "
                                               "count(DISTINCT engagement_id) FROM core.engagement_tags WHERE source = 'notes'")
    overview = (tmp_path / "d" / "index.html").read_text()
    assert f"{tagged:,} ({tagged / engagements:.0%})" in overview and "Read from call notes" in overview
    drivers = (tmp_path / "d" / "drivers.html").read_text()
    assert "From call notes" in drivers
    segment = next(iter(truth["segments"]))
    playbook = run_cli("playbook", "--segment", segment, "--warehouse", str(warehouse))
    assert playbook.returncode == 0 and "of those deals known only from call notes" in playbook.stdout


def test_validate_says_how_many_engagements_would_be_read_from_notes(tmp_path):
    generate(tmp_path, deals=200, seed=6, notes_share=0.7)
    result = run_cli("validate", "--input", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    total = pl.read_csv(tmp_path / "engagements.csv", infer_schema=False)
    blank = total.filter(pl.all_horizontal(pl.col(c).is_null() for c in ("value_propositions", "issues", "questions"))
                         & pl.col("notes").is_not_null())
    noted = total["notes"].is_not_null().sum()
    assert (f"notes: {noted:,} of {total.height:,} engagements ({noted / total.height:.0%}) have notes; "
            f"{blank.height:,} ({blank.height / total.height:.0%}) have no tag field filled") in result.stdout
