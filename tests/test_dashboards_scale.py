"""Dashboards stay small at 1M deals: aggregation happens in SQL and every page is capped.

The warehouse is written in pure SQL in the shape the pipeline publishes (a real 1M-deal run takes too long for the
suite): 15 segments, 25 teams, 2,000 reps, five currencies, 100,000 quarantined rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from valuedata.analysis.tables import playbook_frame, value_hierarchy_frame, write_tables
from valuedata.dashboards import build_dashboards


def test_whole_set_under_6_mb_at_1m_deals(tmp_path):
    wh = make_big_warehouse(tmp_path / "big.duckdb")
    with duckdb.connect(str(wh), read_only=True) as conn:
        report = build_dashboards(conn, tmp_path / "out", png=False)
    playbooks = sum(size for name, size in report.pages.items() if name.startswith("playbook-"))
    # pages and assets (plotly.min.js alone is 4.8 MB), plus a playbook of about 47 kB per map segment
    assert report.total_bytes - playbooks <= 6_200_000, report.summary()
    assert all(size <= 400_000 for size in report.pages.values()), report.pages
    assert not report.notes


def make_big_warehouse(path: Path, *, deals: int = 1_000_000, reps: int = 2000, teams: int = 25,
                       segments: int = 15) -> Path:
    """A large warehouse in pure SQL: many deals, reps, teams, segments and items, to bound page sizes."""
    conn = duckdb.connect(str(path))
    for schema in ("core", "analytics", "audit"):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    conn.execute(f"""
        CREATE TABLE core.value_maps AS SELECT 'map' || s AS map_id, 'Map ' || s AS name, 'segment-' || s AS segment,
          '1' AS version
          FROM range({segments}) t(s);
        CREATE TABLE core.value_map_roles AS SELECT m.map_id, m.segment, 'role_' || r AS role_id,
          'Role ' || r || ' with a fairly long title' AS title, true AS key_player, r AS position
          FROM core.value_maps m, range(6) t(r);
        CREATE TABLE core.value_map_items AS SELECT r.map_id, r.role_id, k.kind, k.kind || '_' || r.role_id || '_' || i
          AS item_id, 'A fairly long piece of map text number ' || i || ' for ' || r.title AS text, true AS impact,
          i + 1 AS priority, i AS position
          FROM core.value_map_roles r, (VALUES ('issue'), ('value_proposition'), ('question')) k(kind), range(4) t(i);
        CREATE TABLE core.value_map_links AS SELECT map_id, kind AS from_kind, item_id AS from_id,
          CASE kind WHEN 'value_proposition' THEN 'addresses' ELSE 'uncovers' END AS relation, 'issue' AS to_kind,
          'issue_' || role_id || '_' || position AS to_id FROM core.value_map_items WHERE kind <> 'issue';
        CREATE TABLE core.reps AS SELECT 'R' || r AS rep_id, 'Rep number ' || r AS name,
          'Team ' || (r % {teams}) AS team FROM range({reps}) t(r);
        CREATE TABLE core.deals AS SELECT 'D' || i AS deal_id, 'A' || (i % 50000) AS account_id,
          'Account ' || (i % 50000) AS account_name, 'segment-' || (hash(i, 's') % {segments}) AS segment,
          'R' || (hash(i, 'r') % {reps}) AS rep_id, (1000 + hash(i, 'a') % 500000)::DECIMAL(18, 2) AS amount,
          ['USD', 'EUR', 'GBP', 'JPY', 'CHF'][(1 + hash(i, 'c') % 5)::BIGINT] AS currency,
          DATE '2019-01-01' + (hash(i, 'd') % 2600)::INT AS created_at,
          CASE WHEN hash(i, 'o') % 10 < 8 THEN DATE '2019-01-01' + (hash(i, 'd') % 2600)::INT + 60 END AS closed_at,
          CASE WHEN hash(i, 'o') % 10 >= 8 THEN 'open' WHEN hash(i, 'w') % 10 < 4 THEN 'won' ELSE 'lost' END
            AS outcome
          FROM range({deals}) t(i);
        CREATE TABLE core.engagements AS SELECT 'E' || i AS engagement_id, 'D' || (i * 7) AS deal_id,
          NULL::VARCHAR AS role_id, 'Title ' || (i % 5000) AS contact_title,
          ['question_role_0_0'] AS questions, ['issue_role_0_0'] AS issues, NULL::VARCHAR AS notes
          FROM range(200000) t(i);
        CREATE TABLE core.engagement_tags AS SELECT engagement_id, deal_id, 'map0' AS map_id, t.kind, t.item_id,
          'field' AS source, 1.0 AS confidence FROM core.engagements,
          (VALUES ('question', 'question_role_0_0'), ('issue', 'issue_role_0_0')) t(kind, item_id);
        CREATE TABLE analytics.tagging_quality AS SELECT m.segment, i.kind, i.item_id, 400 AS labelled_engagements,
          0.97 AS precision_cv, 0.91 AS recall_cv, 0.6 AS threshold, true AS used, NULL::VARCHAR AS note, i.map_id,
          5000 AS deals_with, 1000 AS deals_from_notes, 0.2 AS notes_share
          FROM core.value_map_items i JOIN core.value_maps m USING (map_id)
          WHERE i.kind IN ('value_proposition', 'issue', 'question');
        CREATE TABLE analytics.deal_coverage AS SELECT d.deal_id, d.rep_id, d.segment,
          'map' || split_part(d.segment, '-', 2) AS map_id, d.outcome, d.amount,
          list_filter(['role_0', 'role_1', 'role_2', 'role_3'], lambda r: hash(d.deal_id, r) % 3 = 0) AS roles_engaged,
          8 AS key_roles_total, (hash(d.deal_id, 'c') % 9) / 8.0 AS key_role_coverage,
          list_filter(['value_proposition_role_0_0', 'value_proposition_role_1_1', 'value_proposition_role_2_2'],
                      lambda r: hash(d.deal_id, r) % 2 = 0) AS value_propositions_presented,
          list_filter(['issue_role_0_0', 'issue_role_1_1'], lambda r: hash(d.deal_id, r) % 2 = 0) AS issues_uncovered,
          list_filter(['question_role_0_0', 'question_role_1_1', 'question_role_2_2'],
                      lambda r: hash(d.deal_id, r) % 2 = 0) AS questions_asked, 5 AS engagements
          FROM core.deals d;
        CREATE TABLE analytics.driver_effects AS SELECT s.segment, i.kind, i.item_id, 5000 AS deals_with,
          20000 AS deals_without, 0.5 AS win_rate_with, 0.4 AS win_rate_without, 0.1 AS lift, 0.05 AS lift_ci_low,
          0.15 AS lift_ci_high, 0.001 AS p_value, 0.002 AS q_value, 1.0 + (hash(i.item_id) % 200) / 100.0 AS odds_ratio,
          0.9 AS or_ci_low, 3.5 AS or_ci_high, true AS significant, 'estimated' AS status, NULL::VARCHAR AS note, 'map0' AS map_id
          FROM (SELECT segment FROM core.value_maps UNION ALL SELECT '*') s,
               (SELECT kind, item_id FROM core.value_map_items WHERE map_id = 'map0'
                UNION ALL SELECT 'role', role_id FROM core.value_map_roles WHERE map_id = 'map0') i;
        CREATE TABLE analytics.model_quality AS SELECT segment, 50000 AS closed_deals, 0.7 AS auc_cv,
          0.2 AS brier_cv, 0.24 AS baseline_brier, now() AS fitted_at, true AS better_than_baseline
          FROM core.value_maps;
        CREATE TABLE analytics.rep_scorecard AS SELECT rep_id, 400 AS closed_deals, 160 AS wins,
          0.3 + (hash(rep_id) % 40) / 100.0 AS win_rate, 0.32 + (hash(rep_id) % 30) / 100.0 AS win_rate_shrunk,
          0.4 AS expected_win_rate, 0.38 AS mix_win_rate, 0.5 AS key_role_coverage,
          0.2 AS win_rate_ci_low, 0.7 AS win_rate_ci_high, false AS small_sample, true AS reps_differ FROM core.reps;
        CREATE TABLE analytics.rep_heterogeneity AS SELECT 'reps differ beyond chance (p = 0.001)' AS verdict,
          2000 AS reps, 800000 AS closed_deals;
        CREATE TABLE analytics.rep_gaps AS SELECT r.rep_id, i.kind, i.item_id, 0.3 AS rep_rate, 0.6 AS top_rate,
          (hash(r.rep_id, i.item_id) % 100) / 1000.0 - 0.02 AS contribution,
          hash(r.rep_id, i.item_id) % 3 = 0 AS coach
          FROM core.reps r, (SELECT kind, item_id FROM analytics.driver_effects WHERE segment = '*') i;
        CREATE TABLE analytics.open_deal_scores AS SELECT deal_id, rep_id, segment,
          (hash(deal_id, 'p') % 100) / 100.0 AS win_probability, 'value proposition presented' AS top_positive,
          'key player not met' AS top_negative, 'role:role_1' AS next_best_action, 0.1 AS expected_lift,
          segment AS model_segment, NULL::VARCHAR AS note
          FROM core.deals WHERE outcome = 'open';
        CREATE TABLE audit.loads AS SELECT 'run-1' AS run_id, f AS file, '0' AS sha256, 1000000 AS rows_read,
          999000 AS rows_loaded, 1000 AS rows_quarantined, TIMESTAMP '2026-03-01 08:00' AS loaded_at
          FROM (VALUES ('deals.csv'), ('reps.csv')) t(f);
        CREATE TABLE audit.quarantine AS SELECT 'run-1' AS run_id, 'deals.csv' AS file, i AS line,
          'rule_' || (i % 80) AS rule, '{{}}' AS raw FROM range(100000) t(i);
        CREATE TABLE audit.unmapped_titles AS SELECT 'Title ' || i AS title, 40 AS engagements FROM range(5000) t(i);
    """)
    write_tables(conn, {"playbook": playbook_frame(conn)})
    write_tables(conn, {"value_hierarchy": value_hierarchy_frame(conn)})
    conn.close()
    return path
