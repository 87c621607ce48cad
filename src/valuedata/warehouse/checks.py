"""Data-quality rules on the warehouse, each an SQL query counting the rows that break it."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from valuedata.ingest.delta import COVERAGE, decided_plan, scope_predicate, scoped_relation
from valuedata.warehouse.sql import fetch_one


@dataclass(frozen=True)
class Rule:
    """A named rule: `violations` counts offending rows; zero means the rule holds. Its {reps}, {deals},
    {engagements}, {coverage} and {coverage_deals} are the relations checked: whole in a full rebuild, in a
    delta run only the rows it recomputed (nothing else changed, and a row another change reaches, such as
    the deals of a rep that went, is recomputed too)."""

    name: str
    description: str
    violations: str


RULES: dict[str, Rule] = {r.name: r for r in [
    Rule("reps_unique", "rep_id is unique in core.reps",
         "SELECT count(*) - count(DISTINCT rep_id) FROM {reps}"),
    Rule("deals_unique", "deal_id is unique in core.deals",
         "SELECT count(*) - count(DISTINCT deal_id) FROM {deals}"),
    Rule("engagements_unique", "engagement_id is unique in core.engagements",
         "SELECT count(*) - count(DISTINCT engagement_id) FROM {engagements}"),
    Rule("deals_have_reps", "every deal's rep_id is in core.reps",
         "SELECT count(*) FROM {deals} d ANTI JOIN core.reps r USING (rep_id)"),
    Rule("engagements_have_deals", "every engagement's deal_id is in core.deals",
         "SELECT count(*) FROM {engagements} e ANTI JOIN core.deals d USING (deal_id)"),
    Rule("engagement_roles_in_map", "every engagement role_id is a role of its deal's map",
         "SELECT count(*) FROM {engagements} e WHERE role_id IS NOT NULL AND NOT EXISTS "
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
         "SELECT (SELECT count(*) FROM {coverage_deals}) - (SELECT count(*) FROM {coverage} d "
         "SEMI JOIN core.deals c USING (deal_id)) + (SELECT count(*) - count(DISTINCT deal_id) FROM {coverage})"),
    Rule("coverage_in_range", "key_role_coverage lies in [0, 1]",
         "SELECT count(*) FROM {coverage} WHERE key_role_coverage NOT BETWEEN 0 AND 1"),
]}


def count_violations(conn: duckdb.DuckDBPyConnection, rule: str) -> int:
    """How many rows break `rule` (0 = it holds) among the rows this run wrote."""
    plan = decided_plan(conn)
    relations = {"reps": scoped_relation(plan, "core.reps", "rep_id"),
                 "deals": scoped_relation(plan, "core.deals", "deal_id"),
                 "engagements": scoped_relation(plan, "core.engagements", "engagement_id"),
                 "coverage": scoped_relation(plan, COVERAGE, "deal_id"),
                 "coverage_deals": f"(SELECT * FROM core.deals WHERE {scope_predicate(plan, COVERAGE, 'deal_id')})"}
    return int(fetch_one(conn, RULES[rule].violations.format(**relations))[0])
