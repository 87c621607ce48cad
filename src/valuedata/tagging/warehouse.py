"""The tagging step on the warehouse: field tags from core.engagements, notes tags from each map's tagger,
and analytics.tagging_quality, doing only what changed since the last run.

The warehouse keeps each map's tagger (models.notes_taggers, ``store.py``) and what every engagement was
tagged from (models.engagement_tag_sources: a fingerprint of its deal, map, notes and tag fields). A run
learns a map again only when no tagger is stored, its items changed or its labelled engagements grew
by 10%; it then re-tags the engagements that are new, changed or of a re-learnt map, and drops the tags
of the engagements that are gone. A warehouse without that state is tagged from scratch. In a delta run, the
deals whose tags this step changes have their coverage recomputed too: a re-learnt map retags engagements the
run's new files never touched.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from valuedata.ingest import delta
from valuedata.tagging import model
from valuedata.tagging.store import StoredTagger, items_fingerprint, load_taggers, relearn_reason, save_taggers
from valuedata.tagging.tagger import QUALITY_SCHEMA, MapTagger, learn_map
from valuedata.vocabulary import TAG_FIELDS
from valuedata.warehouse.sql import fetch_one, quote_literal, run_sql, table_exists

CHUNK = 200_000  # notes read at a time (bounds memory); THREADS chunks are read at once
SEED = 20260315  # which labelled notes a map learns from when it has more than model.MAX_TRAINING
ITEMS = """SELECT map_id, kind, item_id, text, keywords FROM core.value_map_items
           WHERE kind IN ('value_proposition', 'issue', 'question') ORDER BY map_id, kind, role_id, position"""
HAS_NOTES = "map_id IS NOT NULL AND trim(coalesce(notes, '')) <> ''"  # an engagement whose notes can be read
WITH_NOTES = "map_id = {map_id} AND trim(coalesce(notes, '')) <> ''"
FIELD_TAGGED = "len(value_propositions) + len(issues) + len(questions) > 0"
LABELLED = "(" + " OR ".join(f"lists_{kind}" for kind in TAG_FIELDS) + ")"  # FIELD_TAGGED, on tagging_now
READ = "engagement_id, deal_id, notes, value_propositions, issues, questions"
FRESH = "tagging_fresh_engagements"  # the engagements this run tags (a temporary view)
CHANGES = "tagging_changes"  # the engagements to tag and those whose tags to drop (a temporary table)


@dataclass(frozen=True)
class TaggingSummary:
    """What the tagging step wrote, and how much of it this run redid."""

    field_tags: int
    notes_tags: int
    engagements_with_notes: int
    engagements_tagged_from_notes: int
    items_used: int
    items_not_used: int
    maps_learnt: int  # maps whose tagger this run learnt (the others reused the stored one)
    engagements_tagged: int  # new, changed or of a re-learnt map: tagged by this run
    engagements_dropped: int  # gone since the last run, or changed: their previous tags dropped
    notes_read: int  # notes this run read (featurised and scored)


def build_field_tags(conn: duckdb.DuckDBPyConnection) -> int:
    """core.engagement_tags with the CRM's tag fields only, from scratch; returns the number of tags. The
    next tagging step then tags every engagement again."""
    conn.execute("DROP TABLE IF EXISTS core.engagement_tags; DROP TABLE IF EXISTS models.engagement_tag_sources")
    run_sql(conn, "core/engagement_tags.sql", engagements="core.engagements")
    return fetch_one(conn, "SELECT count(*) FROM core.engagement_tags")[0]


def build_engagement_tags(conn: duckdb.DuckDBPyConnection,
                          say: Callable[[str], None] = lambda _m: None) -> TaggingSummary:
    """core.engagement_tags (field tags, then notes tags) and analytics.tagging_quality, learning and
    reading only what changed since the last run (see the module's docstring)."""
    if _no_engagement_changed(conn):
        say("no engagement changed since the last run: the tags, taggers and tagging quality stand")
        return _summary(conn, fetch_one(conn, f"SELECT count(*) FROM core.engagements WHERE {HAS_NOTES}")[0])
    _snapshot(conn)
    taggers, learnt = _taggers(conn, say)
    save_taggers(conn, taggers)
    tagged, dropped = _refresh_field_tags(conn, learnt)
    say(f"tagging {tagged:,} new or changed engagements; dropped the tags of {dropped:,} changed or gone")
    notes_read = 0
    for map_id, stored in taggers.items():
        read = _tag_notes(conn, stored.tagger)
        notes_read += read
        say(f"{map_id}: read {read:,} notes")
    # Nothing learnt, tagged or dropped: the fingerprints and analytics.tagging_quality stand as the last run
    # wrote them (the tagging step of a nightly run whose new files change no engagement, at 1M deals: 8.0 s -> 2.5 s).
    unchanged = not (learnt or tagged or dropped) and table_exists(conn, "analytics", "tagging_quality")
    if not unchanged:
        run_sql(conn, "models/engagement_tag_sources.sql")
    with_notes = fetch_one(conn, "SELECT count(*) FILTER (WHERE with_notes) FROM tagging_now")[0]
    conn.execute(f"DROP VIEW {FRESH}; DROP TABLE tagging_now; DROP TABLE IF EXISTS {CHANGES}")
    if not unchanged:
        conn.register("tagging_quality_frame", pl.concat([pl.DataFrame(schema=QUALITY_SCHEMA),
                                                          *(s.tagger.quality for s in taggers.values())]))
        run_sql(conn, "analytics/tagging_quality.sql")
        conn.unregister("tagging_quality_frame")
    return _summary(conn, with_notes, len(learnt), tagged, dropped, notes_read)


def _no_engagement_changed(conn: duckdb.DuckDBPyConnection) -> bool:
    """A delta run whose new files changed no engagement, on a warehouse tagged before: no fingerprint and no
    map's labelled count can have moved (a changed map makes a full rebuild), so everything the last run's
    tagging wrote stands (at 1M deals, a nightly run's tagging step: 2.3 s of fingerprints -> 0.7 s of counts)."""
    state = (("core", "engagement_tags"), ("models", "engagement_tag_sources"), ("models", "notes_taggers"),
             ("analytics", "tagging_quality"))
    return (not delta.decided_plan(conn).full and delta.count_affected(conn, "core.engagements") == 0
            and all(table_exists(conn, schema, name) for schema, name in state))


def _summary(conn: duckdb.DuckDBPyConnection, with_notes: int, learnt: int = 0, tagged: int = 0, dropped: int = 0,
             notes_read: int = 0) -> TaggingSummary:
    """What the tags and analytics.tagging_quality hold now, with what this run did."""
    field, notes, from_notes, used, not_used = fetch_one(conn, """
        SELECT count(*) FILTER (WHERE source = 'field'), count(*) FILTER (WHERE source = 'notes'),
               count(DISTINCT engagement_id) FILTER (WHERE source = 'notes'),
               (SELECT count(*) FILTER (WHERE used) FROM analytics.tagging_quality),
               (SELECT count(*) FILTER (WHERE NOT used) FROM analytics.tagging_quality)
        FROM core.engagement_tags""")
    return TaggingSummary(field, notes, with_notes, from_notes, used, not_used, learnt, tagged, dropped, notes_read)


def _taggers(conn: duckdb.DuckDBPyConnection, say: Callable[[str], None]) -> tuple[dict[str, StoredTagger], list[str]]:
    """Every map's tagger, stored or learnt now (store.relearn_reason decides); and the maps learnt now."""
    maps = conn.sql("SELECT map_id, segment FROM core.value_maps ORDER BY map_id").pl()
    items = conn.sql(ITEMS).pl()
    stored = load_taggers(conn)
    counts = _labelled(conn)
    taggers, learnt = {}, []
    for map_id, segment in maps.iter_rows():
        map_items = items.filter(pl.col("map_id") == map_id)
        fingerprint = items_fingerprint(map_items)
        listing, labelled = counts.get(map_id, ({}, 0))
        reason = relearn_reason(stored.get(map_id), fingerprint, labelled)
        if reason is None:
            taggers[map_id] = stored[map_id]
            say(f"{map_id}: reusing its tagger learnt {stored[map_id].learnt_at:%Y-%m-%d %H:%M} on "
                f"{stored[map_id].tagger.labelled:,} labelled engagements")
            continue
        say(f"{map_id}: learning its items ({reason})")
        tagger = learn_map(map_id, segment, map_items, _training(conn, map_id), listing, labelled)
        taggers[map_id] = StoredTagger(tagger, datetime.now(UTC), fingerprint)
        learnt.append(map_id)
        say(f"{map_id}: learnt its items")
    return taggers, learnt


def _snapshot(conn: duckdb.DuckDBPyConnection) -> None:
    """tagging_now: per engagement, its map, the fingerprint of what its tags are built from, whether it
    has notes and which tag fields list something (read once here, so later steps scan no text)."""
    lists = ", ".join(f"len({c}) > 0 AS lists_{kind}" for kind, c in TAG_FIELDS.items())
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE tagging_now AS
                     SELECT engagement_id, map_id,
                            hash(deal_id, map_id, notes, value_propositions, issues, questions) AS fingerprint,
                            {HAS_NOTES} AS with_notes, {lists}
                     FROM core.engagements""")


def _labelled(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[dict[str, int], int]]:
    """Per map: per kind, how many of its engagements with notes list an item of it; and how many list any."""
    kinds = ", ".join(f"count(*) FILTER (WHERE lists_{kind})" for kind in TAG_FIELDS)
    rows = conn.execute(f"SELECT map_id, {kinds}, count(*) FILTER (WHERE {LABELLED}) FROM tagging_now "
                        "WHERE with_notes GROUP BY map_id").fetchall()
    return {row[0]: (dict(zip(TAG_FIELDS, row[1:-1], strict=True)), row[-1]) for row in rows}


def _training(conn: duckdb.DuckDBPyConnection, map_id: str) -> pl.DataFrame:
    """The field-tagged engagements with notes a map learns from: a fixed pseudo-random sample of at most
    model.MAX_TRAINING (by a hash of the id, so it hardly moves as engagements are added)."""
    order = f"ORDER BY hash(engagement_id, {SEED}), engagement_id"
    return conn.sql(f"""SELECT {READ} FROM core.engagements WHERE engagement_id IN (
                            SELECT engagement_id FROM tagging_now WHERE map_id = {quote_literal(map_id)}
                            AND with_notes AND {LABELLED} {order} LIMIT {model.MAX_TRAINING})
                        {order}""").pl()


def _refresh_field_tags(conn: duckdb.DuckDBPyConnection, learnt: list[str]) -> tuple[int, int]:
    """From tagging_now and the last run's fingerprints: drop the tags of engagements that changed, are gone or
    belong to a re-learnt map; add the field tags of the engagements to tag (the view FRESH). The changes are
    found in one pass over both (a temporary table). Returns (engagements to tag, engagements dropped)."""
    relearnt = "[" + ", ".join(quote_literal(m) for m in learnt) + "]::VARCHAR[]"
    previous = table_exists(conn, "core", "engagement_tags") and table_exists(conn, "models", "engagement_tag_sources")
    if not previous:
        conn.execute("DROP TABLE IF EXISTS core.engagement_tags")
        conn.execute(f"CREATE OR REPLACE TEMP VIEW {FRESH} AS SELECT * FROM core.engagements")
        run_sql(conn, "core/engagement_tags.sql", engagements=FRESH)
        return fetch_one(conn, f"SELECT count(*) FROM {FRESH}")[0], 0
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE {CHANGES} AS
        SELECT coalesce(n.engagement_id, s.engagement_id) AS engagement_id,
               n.engagement_id IS NOT NULL AS to_tag, s.engagement_id IS NOT NULL AS to_drop
        FROM tagging_now n FULL JOIN models.engagement_tag_sources s USING (engagement_id)
        WHERE n.fingerprint IS DISTINCT FROM s.fingerprint
           OR list_contains({relearnt}, coalesce(n.map_id, s.map_id))""")
    tagged, dropped = fetch_one(conn, "SELECT count(*) FILTER (WHERE to_tag), count(*) FILTER (WHERE to_drop) "
                                      f"FROM {CHANGES}")
    conn.execute(f"""CREATE OR REPLACE TEMP VIEW {FRESH} AS SELECT * FROM core.engagements
        SEMI JOIN (SELECT engagement_id FROM {CHANGES} WHERE to_tag) USING (engagement_id)""")
    if (tagged or dropped) and not delta.decided_plan(conn).full:
        delta.mark(conn, delta.COVERAGE, f"""SELECT deal_id FROM {FRESH} UNION SELECT deal_id FROM core.engagement_tags
            SEMI JOIN (SELECT engagement_id FROM {CHANGES} WHERE to_drop) USING (engagement_id)""")
    if dropped:
        conn.execute("DELETE FROM core.engagement_tags WHERE engagement_id IN "
                     f"(SELECT engagement_id FROM {CHANGES} WHERE to_drop)")
    if tagged:
        run_sql(conn, "core/engagement_tags.sql", engagements=FRESH)
    return tagged, dropped


def _tag_notes(conn: duckdb.DuckDBPyConnection, tagger: MapTagger) -> int:
    """Add the notes tags of the map's engagements to tag; returns how many notes were read. Only notes that
    can get a tag are read: without any field tag, or with the field of a cold-start kind empty."""
    if not tagger.kinds:
        return 0
    open_to_notes = " OR ".join([f"NOT ({FIELD_TAGGED})", *(f"len({c}) = 0" for c in tagger.field_kinds_read)])
    query = (f"SELECT {READ} FROM {FRESH} WHERE {WITH_NOTES.format(map_id=quote_literal(tagger.map_id))} "
             f"AND ({open_to_notes})")
    tags, read = [], 0
    with ThreadPoolExecutor(max_workers=model.THREADS) as pool, conn.sql(query).to_arrow_reader(CHUNK) as reader:
        pending = deque()
        for batch in reader:
            chunk = pl.from_arrow(batch)
            read += chunk.height
            pending.append(pool.submit(tagger.tag, chunk))
            if len(pending) > model.THREADS:  # at most THREADS + 1 chunks in memory
                tags.append(pending.popleft().result())
        tags += [f.result() for f in pending]
    if tags:
        conn.register("notes_tags_frame", pl.concat(tags))
        conn.execute("INSERT INTO core.engagement_tags SELECT * FROM notes_tags_frame")
        conn.unregister("notes_tags_frame")
    return read
