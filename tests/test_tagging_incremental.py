"""Nightly tagging costs what changed: stored taggers are reused, only new or changed engagements are read,
and the result equals tagging the same warehouse from scratch."""

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from valuedata.generate import generate
from valuedata.ingest import steps
from valuedata.tagging import build_engagement_tags

NOTES_ONLY = """SELECT engagement_id FROM core.engagements
                WHERE map_id = ? AND len(value_propositions) + len(issues) + len(questions) = 0
                AND engagement_id IN (SELECT engagement_id FROM core.engagement_tags WHERE source = 'notes')
                ORDER BY engagement_id"""


def tags_of(conn: duckdb.DuckDBPyConnection, engagement_id: str | None = None) -> pl.DataFrame:
    where = "WHERE engagement_id = ?" if engagement_id else ""
    return conn.sql(f"SELECT * FROM core.engagement_tags {where} ORDER BY ALL",
                    params=[engagement_id] if engagement_id else None).pl()


@pytest.fixture(scope="module")
def tagged(tmp_path_factory) -> tuple[Path, list[str]]:
    """A warehouse tagged once from scratch; returns its path and the first run's log."""
    folder = tmp_path_factory.mktemp("incremental") / "world"
    generate(folder, deals=1000, seed=51, notes_share=0.7)
    db = folder.parent / "w.duckdb"
    log: list[str] = []
    with duckdb.connect(str(db)) as conn:
        steps.ingest_folder(conn, folder, "test")
        first = build_engagement_tags(conn, log.append)
    assert first.maps_learnt == 2 and first.notes_read > 1000 and first.notes_tags > 1000
    return db, log


def copy_of(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.duckdb"
    shutil.copy(db, target)
    return target


def test_a_second_run_on_unchanged_input_reads_no_note(tagged, tmp_path):
    db, first_log = tagged
    assert any("learning its items (no tagger stored)" in m for m in first_log)
    log: list[str] = []
    with duckdb.connect(str(copy_of(db, tmp_path))) as conn:
        before, quality_before = tags_of(conn), conn.sql("SELECT * FROM analytics.tagging_quality ORDER BY ALL").pl()
        again = build_engagement_tags(conn, log.append)
        assert tags_of(conn).equals(before)
        assert conn.sql("SELECT * FROM analytics.tagging_quality ORDER BY ALL").pl().equals(quality_before)
    assert (again.maps_learnt, again.notes_read, again.engagements_tagged, again.engagements_dropped) == (0, 0, 0, 0)
    assert sum("reusing its tagger learnt" in m for m in log) == 2
    assert "tagging 0 new or changed engagements; dropped the tags of 0 changed or gone" in log


def test_changed_new_and_removed_engagements_and_nothing_else(tagged, tmp_path):
    db, _ = tagged
    with duckdb.connect(str(copy_of(db, tmp_path))) as conn:
        [map_id] = conn.execute("SELECT min(map_id) FROM core.engagements").fetchone()
        changed, donor, removed = [r[0] for r in conn.execute(NOTES_ONLY, [map_id]).fetchall()[:3]]
        donor_items = tags_of(conn, donor).select("kind", "item_id")
        assert not tags_of(conn, changed).select("kind", "item_id").equals(donor_items)
        conn.execute("UPDATE core.engagements SET notes = (SELECT notes FROM core.engagements WHERE engagement_id = ?) "
                     "WHERE engagement_id = ?", [donor, changed])
        conn.execute("INSERT INTO core.engagements SELECT * REPLACE ('NEW-1' AS engagement_id) FROM core.engagements "
                     "WHERE engagement_id = ?", [donor])
        conn.execute("DELETE FROM core.engagements WHERE engagement_id = ?", [removed])
        summary = build_engagement_tags(conn)
        assert (summary.maps_learnt, summary.notes_read) == (0, 2)
        assert (summary.engagements_tagged, summary.engagements_dropped) == (2, 2)
        assert tags_of(conn, changed).select("kind", "item_id").equals(donor_items)
        assert tags_of(conn, "NEW-1").select("kind", "item_id").equals(donor_items)
        assert tags_of(conn, removed).is_empty()
        incremental = tags_of(conn)
        # tagging the same warehouse from scratch (no stored taggers, no fingerprints) gives the same tags
        conn.execute("DROP TABLE models.notes_taggers; DROP TABLE models.engagement_tag_sources")
        scratch = build_engagement_tags(conn)
        assert scratch.maps_learnt == 2 and scratch.notes_read > 1000
        assert tags_of(conn).equals(incremental)


def test_a_map_is_learnt_again_when_its_labelled_engagements_grow_by_a_tenth(tagged, tmp_path):
    db, _ = tagged
    log: list[str] = []
    with duckdb.connect(str(copy_of(db, tmp_path))) as conn:
        [map_id, labelled] = conn.execute("SELECT map_id, labelled_engagements FROM models.notes_taggers "
                                          "ORDER BY map_id LIMIT 1").fetchone()
        more = -(-labelled // 10)  # 10%, rounded up
        conn.execute(f"""INSERT INTO core.engagements SELECT * REPLACE ('MORE-' || engagement_id AS engagement_id)
                         FROM core.engagements WHERE map_id = ? AND trim(coalesce(notes, '')) <> ''
                         AND len(value_propositions) + len(issues) + len(questions) > 0 LIMIT {more}""", [map_id])
        summary = build_engagement_tags(conn, log.append)
        [(relearnt,)] = conn.execute("SELECT labelled_engagements FROM models.notes_taggers WHERE map_id = ?",
                                     [map_id]).fetchall()
        [(of_map,)] = conn.execute("SELECT count(*) FROM core.engagements WHERE map_id = ?", [map_id]).fetchall()
    assert summary.maps_learnt == 1 and relearnt == labelled + more
    assert f"{map_id}: learning its items (its labelled engagements grew from {labelled:,} to {labelled + more:,})" in log
    assert summary.engagements_tagged == of_map  # every engagement of the re-learnt map, none of the other's


def test_a_map_is_learnt_again_when_its_items_change(tagged, tmp_path):
    db, _ = tagged
    log: list[str] = []
    with duckdb.connect(str(copy_of(db, tmp_path))) as conn:
        [map_id] = conn.execute("SELECT min(map_id) FROM core.value_map_items").fetchone()
        conn.execute("UPDATE core.value_map_items SET keywords = ['line stops'] WHERE map_id = ? AND kind = 'issue' "
                     "AND item_id = (SELECT min(item_id) FROM core.value_map_items WHERE map_id = ? AND kind = 'issue')",
                     [map_id, map_id])
        summary = build_engagement_tags(conn, log.append)
    assert summary.maps_learnt == 1 and f"{map_id}: learning its items (its items changed)" in log
