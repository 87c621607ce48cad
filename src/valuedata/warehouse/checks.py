"""Data-quality rules on the warehouse, each an SQL query counting the rows that break it."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from valuedata.warehouse.sql import fetch_one


@dataclass(frozen=True)
class Rule:
    """A named rule: `violations` counts offending rows; zero means the rule holds."""

    name: str
    description: str
    violations: str


RULES: dict[str, Rule] = {r.name: r for r in [
    Rule("reps_unique", "rep_id is unique in core.reps",
         "SELECT count(*) - count(DISTINCT rep_id) FROM core.reps"),
    Rule("deals_unique", "deal_id is unique in core.deals",
         "SELECT count(*) - count(DISTINCT deal_id) FROM core.deals"),
    Rule("engagements_unique", "engagement_id is unique in core.engagements",
         "SELECT count(*) - count(DISTINCT engagement_id) FROM core.engagements"),
    Rule("deals_have_reps", "every deal's rep_id is in core.reps",
         "SELECT count(*) FROM core.deals d ANTI JOIN core.reps r USING (rep_id)"),
    Rule("engagements_have_deals", "every engagement's deal_id is in core.deals",
         "SELECT count(*) FROM core.engagements e ANTI JOIN core.deals d USING (deal_id)"),
    Rule("engagement_roles_in_map", "every engagement role_id is a role of its deal's map",
         "SELECT count(*) FROM core.engagements e WHERE role_id IS NOT NULL AND NOT EXISTS "
         "(SELECT 1 FROM core.value_map_roles r WHERE r.map_id = e.map_id AND r.role_id = e.role_id)"),
    Rule("map_links_resolve", "every addresses/uncovers link names an issue of the same map",
         "SELECT count(*) FROM core.value_map_links l ANTI JOIN "
         "(SELECT map_id, item_id AS to_id FROM core.value_map_items WHERE kind = 'issue') i USING (map_id, to_id)"),
    Rule("map_items_unique", "item ids are unique within each map",
         "SELECT count(*) - count(DISTINCT (map_id, item_id)) FROM core.value_map_items"),
    Rule("loads_reconcile", "for every file, rows read = rows loaded + rows quarantined (+ rows superseded by a later export)",
         "SELECT count(*) FROM audit.loads WHERE run_id = getvariable('run_id') "
         "AND (NOT reconciled OR rows_read <> rows_loaded + rows_quarantined + rows_superseded)"),
    Rule("coverage_one_row_per_deal", "analytics.deal_coverage has exactly the deals of core.deals",
         "SELECT (SELECT count(*) FROM core.deals) - (SELECT count(*) FROM analytics.deal_coverage d "
         "SEMI JOIN core.deals c USING (deal_id)) + (SELECT count(*) - count(DISTINCT deal_id) FROM analytics.deal_coverage)"),
    Rule("coverage_in_range", "key_role_coverage lies in [0, 1]",
         "SELECT count(*) FROM analytics.deal_coverage WHERE key_role_coverage NOT BETWEEN 0 AND 1"),
]}


def count_violations(conn: duckdb.DuckDBPyConnection, rule: str) -> int:
    """How many rows break `rule` (0 = it holds)."""
    return int(fetch_one(conn, RULES[rule].violations)[0])
