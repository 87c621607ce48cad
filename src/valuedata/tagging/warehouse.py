"""The tagging step on the warehouse: field tags from core.engagements, notes tags from the tagger, and
analytics.tagging_quality."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from valuedata.tagging.tagger import tag_notes
from valuedata.warehouse.sql import fetch_one, run_sql

ENGAGEMENTS = """SELECT engagement_id, deal_id, map_id, notes, value_propositions, issues, questions
                 FROM core.engagements WHERE map_id IS NOT NULL AND trim(coalesce(notes, '')) <> ''"""
ITEMS = """SELECT map_id, kind, item_id, text, keywords FROM core.value_map_items
           WHERE kind IN ('value_proposition', 'issue', 'question') ORDER BY map_id, kind, role_id, position"""


@dataclass(frozen=True)
class TaggingSummary:
    """What the tagging step wrote."""

    field_tags: int
    notes_tags: int
    engagements_with_notes: int
    engagements_tagged_from_notes: int
    items_used: int
    items_not_used: int


def notes_summary(conn: duckdb.DuckDBPyConnection) -> str | None:
    """One line on core.engagements: how many engagements have notes, and how many a run would read
    from notes alone (no tag field filled); None without engagements."""
    total, with_notes, notes_only = fetch_one(conn, """
        SELECT count(*), count(*) FILTER (WHERE trim(coalesce(notes, '')) <> ''),
               count(*) FILTER (WHERE trim(coalesce(notes, '')) <> '' AND map_id IS NOT NULL
                                AND len(value_propositions) + len(issues) + len(questions) = 0)
        FROM core.engagements""")
    if not total:
        return None
    return (f"notes: {with_notes:,} of {total:,} engagements ({with_notes / total:.0%}) have notes; "
            f"{notes_only:,} ({notes_only / total:.0%}) have no tag field filled, so a run reads their value "
            "propositions, issues and questions from the notes (see analytics.tagging_quality)")


def build_field_tags(conn: duckdb.DuckDBPyConnection) -> int:
    """core.engagement_tags with the CRM's tag fields only; returns the number of tags."""
    run_sql(conn, "core/engagement_tags.sql")
    return fetch_one(conn, "SELECT count(*) FROM core.engagement_tags")[0]


def build_engagement_tags(conn: duckdb.DuckDBPyConnection,
                          say: Callable[[str], None] = lambda _m: None) -> TaggingSummary:
    """core.engagement_tags (field tags, then notes tags) and analytics.tagging_quality."""
    field_tags = build_field_tags(conn)
    engagements = conn.sql(ENGAGEMENTS).pl()
    tags, quality = tag_notes(engagements, conn.sql(ITEMS).pl(), conn.sql("SELECT map_id, segment FROM core.value_maps").pl(), say)
    conn.register("notes_tags_frame", tags)
    conn.execute("INSERT INTO core.engagement_tags SELECT * FROM notes_tags_frame")
    conn.unregister("notes_tags_frame")
    conn.register("tagging_quality_frame", quality)
    run_sql(conn, "analytics/tagging_quality.sql")
    conn.unregister("tagging_quality_frame")
    return TaggingSummary(field_tags, tags.height, engagements.height, tags["engagement_id"].n_unique(),
                          int(quality["used"].sum()), int((~quality["used"]).sum()))
