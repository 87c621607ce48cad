"""Fixture warehouses for the dashboard tests: realistic contract relations built with Python and SQL.

`make_warehouse` writes a small, deterministic warehouse whose analytics are computed from its own deals
(so chart values can be checked against SQL); `make_big_warehouse` writes a 1M-deal one in pure SQL for the
page-size bound. Both carry HTML/script payloads in map text and rep names.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

XSS_ITEM = "<script>window.__pwned=1</script>Scrap & rework <img src=x onerror=window.__pwned=1>"
XSS_REP = "<img src=x onerror=window.__pwned=1>Eve <script>window.__pwned=1</script>"
LATEST = date(2026, 3, 20)

MAPS = [
    {"map_id": "industrial-controls", "name": "Industrial controls - discrete manufacturing",
     "segment": "discrete-manufacturing",
     "roles": [
         ("production_manager", "Production Manager", True,
          [("unplanned_downtime", "Unplanned downtime on constrained lines"), ("scrap_rate", XSS_ITEM)],
          [("vp_yield", "Raise first-pass yield on existing lines without new capital",
            ["unplanned_downtime", "scrap_rate"])],
          [("q_downtime_cost", "What does an hour of unplanned downtime cost you?", ["unplanned_downtime"]),
           ("q_signoff", "Who signs off a change to the line?", [])]),
         ("maintenance_engineer", "Maintenance Engineer", True,
          [("programming_effort", "Reprogramming takes days per changeover")],
          [("vp_easy_programming", "Changeovers programmed in hours, not days", ["programming_effort"])],
          [("q_changeovers", "How many changeovers do you run a week?", ["programming_effort"])]),
         ("plant_controller", "Plant Controller", False,
          [("capex_freeze", "Capital budget frozen this year")],
          [("vp_no_capex", "Pays back from operating budget within two quarters", ["capex_freeze"])],
          [("q_budget", "Which budget would fund a yield improvement?", ["capex_freeze"])]),
     ]},
    {"map_id": "process-plants", "name": "Process plants", "segment": "process-industries",
     "roles": [
         ("operations_director", "Operations Director", True,
          [("batch_variance", "Batch-to-batch variance")],
          [("vp_consistency", "Consistent batches from day one", ["batch_variance"])],
          [("q_variance", "How much does a rejected batch cost?", ["batch_variance"])]),
         ("quality_manager", "Quality Manager", True,
          [("audit_findings", "Audit findings on traceability")],
          [("vp_traceability", "Full traceability for every batch", ["audit_findings"])],
          [("q_audit", "When is your next audit?", ["audit_findings"])]),
     ]},
    {"map_id": "generic", "name": "Any other segment", "segment": "*",
     "roles": [
         ("procurement_lead", "Procurement Lead", True,
          [("supplier_risk", "Single-source supplier risk")],
          [("vp_second_source", "A second source with the same spec", ["supplier_risk"])],
          [("q_sources", "How many suppliers qualify today?", ["supplier_risk"])]),
         ("end_user", "End User", True, [("ease_of_use", "Hard to use on the floor")],
          [("vp_simple", "Usable after one shift of training", ["ease_of_use"])],
          [("q_training", "How long does training take now?", ["ease_of_use"])]),
     ]},
]
SEGMENT_MAP = {"discrete-manufacturing": "industrial-controls", "process-industries": "process-plants",
               "utilities": "generic"}
REPS = [("R01", "Ana Silva", "East"), ("R02", "Ben Okafor", "East"), ("R03", "Chloé Martin", "East"),
        ("R04", "Sam Lee", "East"), ("R05", "Dev Patel", "West"), ("R06", "Sam Lee", "West"),
        ("R07", XSS_REP, "West"), ("R08", "Femi Adeyemi", "West"), ("R09", "Gita Rao", "Central"),
        ("R10", "Hugo Berg", "Central"), ("R11", "Ines Costa", "Central"), ("R12", "Jon Kim", "Central")]


def _map_frames() -> dict[str, pl.DataFrame]:
    maps, roles, items, links = [], [], [], []
    for m in MAPS:
        maps.append({"map_id": m["map_id"], "name": m["name"], "segment": m["segment"], "version": "2026-03"})
        for pos, (role_id, title, key, issues, vps, questions) in enumerate(m["roles"]):
            roles.append({"map_id": m["map_id"], "segment": m["segment"], "role_id": role_id, "title": title,
                          "key_player": key, "position": pos})
            items.append({"map_id": m["map_id"], "role_id": role_id, "kind": "objective",
                          "item_id": f"obj_{role_id}", "text": f"Objectives of the {title}", "impact": False,
                          "priority": 1, "position": 0})
            for kind, rows in (("issue", issues), ("value_proposition", vps), ("question", questions)):
                for i, row in enumerate(rows):
                    items.append({"map_id": m["map_id"], "role_id": role_id, "kind": kind, "item_id": row[0],
                                  "text": row[1], "impact": kind != "question", "priority": i + 1, "position": i})
                    for target in (row[2] if len(row) > 2 else []):
                        links.append({"map_id": m["map_id"], "from_kind": kind, "from_id": row[0],
                                      "relation": "addresses" if kind == "value_proposition" else "uncovers",
                                      "to_kind": "issue", "to_id": target})
    return {"value_maps": pl.DataFrame(maps), "value_map_roles": pl.DataFrame(roles),
            "value_map_items": pl.DataFrame(items), "value_map_links": pl.DataFrame(links)}


def _map_items(map_id: str) -> dict[str, list[str]]:
    m = next(x for x in MAPS if x["map_id"] == map_id)
    out = {"role": [], "value_proposition": [], "issue": [], "question": [], "key": []}
    for role_id, _, key, issues, vps, questions in m["roles"]:
        out["role"].append(role_id)
        out["key"] += [role_id] if key else []
        out["issue"] += [i[0] for i in issues]
        out["value_proposition"] += [v[0] for v in vps]
        out["question"] += [q[0] for q in questions]
    return out


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _deals(n: int, rng: random.Random) -> tuple[list[dict], list[dict]]:
    skill = {r[0]: 0.2 + 0.07 * i for i, r in enumerate(REPS)}
    deals, coverage = [], []
    for i in range(1, n + 1):
        seg = rng.choices(list(SEGMENT_MAP), weights=[5, 3, 2])[0]
        rep_id = REPS[rng.randrange(len(REPS))][0]
        items = _map_items(SEGMENT_MAP[seg])
        s = skill[rep_id]
        roles = [r for r in items["role"] if rng.random() < 0.3 + 0.5 * s]
        vps = [v for v in items["value_proposition"] if rng.random() < 0.25 + 0.4 * s]
        issues = [x for x in items["issue"] if rng.random() < (0.55 if roles else 0.1)]
        questions = [x for x in items["question"] if rng.random() < (0.02 if x == "q_signoff" else 0.3 + 0.3 * s)]
        key_total = len(items["key"])
        cov = sum(r in roles for r in items["key"]) / key_total
        p = _sigmoid(-1.6 + 1.5 * (items["role"][0] in roles) + 1.0 * cov + 0.5 * bool(vps)
                     + 0.4 * (items["question"][0] in questions))
        created = date(2024, 1, 1) + timedelta(days=rng.randrange(805))
        closed_at = None
        outcome = "open"
        if created < date(2026, 1, 15) and rng.random() < 0.85:
            closed_at = min(created + timedelta(days=rng.randrange(15, 150)), LATEST)
            outcome = "won" if rng.random() < p else "lost"
        deal_id = f"D-{i:05d}"
        amount = round(rng.lognormvariate(10.5, 0.9), 2)
        deals.append({"deal_id": deal_id, "account_id": f"A-{rng.randrange(300):04d}",
                      "account_name": f"Account {rng.randrange(300)}", "segment": seg, "rep_id": rep_id,
                      "amount": amount, "currency": "USD", "created_at": created, "closed_at": closed_at,
                      "outcome": outcome, "_p": p})
        coverage.append({"deal_id": deal_id, "rep_id": rep_id, "segment": seg, "map_id": SEGMENT_MAP[seg],
                         "outcome": outcome, "amount": amount, "roles_engaged": roles, "key_roles_total": key_total,
                         "key_role_coverage": cov, "value_propositions_presented": vps,
                         "issues_uncovered": issues, "questions_asked": questions,
                         "engagements": len(roles) + len(vps) + len(questions)})
    return deals, coverage


def _effects(deals: list[dict], coverage: list[dict]) -> list[dict]:
    cols = {"role": "roles_engaged", "value_proposition": "value_propositions_presented",
            "issue": "issues_uncovered", "question": "questions_asked"}
    rows = []
    for seg in ["*", *SEGMENT_MAP]:
        closed = [c for c in coverage if c["outcome"] != "open" and (seg == "*" or c["segment"] == seg)]
        maps = set(SEGMENT_MAP.values()) if seg == "*" else {SEGMENT_MAP[seg]}
        seg_rows = []
        for kind, col in cols.items():
            ids = sorted({i for m in maps for i in _map_items(m)[kind]})
            for item in ids:
                w = [c for c in closed if item in c[col]]
                wo = [c for c in closed if item not in c[col]]
                a, b = sum(c["outcome"] == "won" for c in w), sum(c["outcome"] == "lost" for c in w)
                cc, d = sum(c["outcome"] == "won" for c in wo), sum(c["outcome"] == "lost" for c in wo)
                row = {"segment": seg, "kind": kind, "item_id": item, "deals_with": len(w),
                       "deals_without": len(wo), "win_rate_with": a / len(w) if w else None,
                       "win_rate_without": cc / len(wo) if wo else None}
                if w and wo:
                    lift = row["win_rate_with"] - row["win_rate_without"]
                    se = math.sqrt(row["win_rate_with"] * (1 - row["win_rate_with"]) / len(w)
                                   + row["win_rate_without"] * (1 - row["win_rate_without"]) / len(wo)) or 0.01
                    row.update(lift=lift, lift_ci_low=lift - 1.96 * se, lift_ci_high=lift + 1.96 * se)
                if len(w) >= 10 and len(wo) >= 10:
                    log_or = math.log((a + .5) * (d + .5) / ((b + .5) * (cc + .5)))
                    se = math.sqrt(1 / (a + .5) + 1 / (b + .5) + 1 / (cc + .5) + 1 / (d + .5))
                    p = math.erfc(abs(log_or / se) / math.sqrt(2))
                    row.update(odds_ratio=math.exp(log_or), or_ci_low=math.exp(log_or - 1.96 * se),
                               or_ci_high=math.exp(log_or + 1.96 * se), p_value=p)
                seg_rows.append(row)
        tested = sorted((r for r in seg_rows if r.get("p_value") is not None), key=lambda r: r["p_value"])
        for rank, r in enumerate(tested, 1):
            r["q_value"] = min(1.0, r["p_value"] * len(tested) / rank)
        for r in seg_rows:
            r["significant"] = r.get("q_value") is not None and r["q_value"] < 0.05
        rows += seg_rows
    keys = ["segment", "kind", "item_id", "deals_with", "deals_without", "win_rate_with", "win_rate_without",
            "lift", "lift_ci_low", "lift_ci_high", "p_value", "q_value", "odds_ratio", "or_ci_low", "or_ci_high",
            "significant"]
    return [{k: r.get(k) for k in keys} for r in rows]


def _wilson(w: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    z, p = 1.96, w / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h


def _reps_analytics(deals: list[dict], coverage: list[dict], effects: list[dict]) -> tuple[list, list]:
    closed = [d for d in deals if d["outcome"] != "open"]
    avg = sum(d["outcome"] == "won" for d in closed) / len(closed)
    cov_by = {c["deal_id"]: c for c in coverage}
    cards = []
    for rep_id, _, _ in REPS:
        mine = [d for d in closed if d["rep_id"] == rep_id]
        wins = sum(d["outcome"] == "won" for d in mine)
        lo, hi = _wilson(wins, len(mine))
        cards.append({"rep_id": rep_id, "closed_deals": len(mine), "wins": wins, "win_rate": wins / len(mine),
                      "win_rate_shrunk": (wins + 20 * avg) / (len(mine) + 20),
                      "expected_win_rate": sum(d["_p"] for d in mine) / len(mine),
                      "mix_win_rate": 0.95 * sum(d["_p"] for d in mine) / len(mine),
                      "key_role_coverage": sum(cov_by[d["deal_id"]]["key_role_coverage"] for d in mine) / len(mine),
                      "win_rate_ci_low": lo, "win_rate_ci_high": hi})
    top = sorted(cards, key=lambda c: -c["win_rate_shrunk"])[: len(cards) // 4]
    lift = {(e["kind"], e["item_id"]): e["lift"] or 0 for e in effects if e["segment"] == "*"}
    cols = {"role": "roles_engaged", "value_proposition": "value_propositions_presented",
            "question": "questions_asked"}
    gaps = []
    for kind, col in cols.items():
        for item in sorted({i for m in SEGMENT_MAP.values() for i in _map_items(m)[kind]}):
            rates = {}
            for rep_id, _, _ in REPS:
                mine = [cov_by[d["deal_id"]] for d in closed if d["rep_id"] == rep_id
                        and SEGMENT_MAP[d["segment"]] in _maps_with(kind, item)]
                if mine:
                    rates[rep_id] = sum(item in c[col] for c in mine) / len(mine)
            top_rates = [rates[c["rep_id"]] for c in top if c["rep_id"] in rates]
            if not top_rates:
                continue
            top_rate = sum(top_rates) / len(top_rates)
            for rep_id, rate in rates.items():
                gaps.append({"rep_id": rep_id, "kind": kind, "item_id": item, "rep_rate": rate, "top_rate": top_rate,
                             "contribution": (top_rate - rate) * lift.get((kind, item), 0)})
    return cards, gaps


def _maps_with(kind: str, item: str) -> set[str]:
    return {m for m in SEGMENT_MAP.values() if item in _map_items(m)[kind]}


def _open_scores(deals: list[dict], coverage: list[dict]) -> list[dict]:
    cov_by = {c["deal_id"]: c for c in coverage}
    out = []
    for d in deals:
        if d["outcome"] != "open":
            continue
        c = cov_by[d["deal_id"]]
        items = _map_items(c["map_id"])
        missing = [r for r in items["key"] if r not in c["roles_engaged"]]
        action = f"role:{missing[0]}" if missing else f"question:{items['question'][0]}"
        out.append({"deal_id": d["deal_id"], "rep_id": d["rep_id"], "segment": d["segment"],
                    "win_probability": d["_p"], "top_positive": "value proposition presented" if c[
                        "value_propositions_presented"] else None,
                    "top_negative": "key player not met" if missing else "few questions asked",
                    "next_best_action": action, "expected_lift": 0.05 + 0.1 * (len(missing) > 0)})
    return out


def _playbook(effects: list[dict], maps: pl.DataFrame, items: pl.DataFrame) -> list[dict]:
    role_of = {(r["kind"], r["item_id"]): (r["role_id"], r["text"]) for r in items.iter_rows(named=True)}
    out = []
    for e in effects:
        if e["odds_ratio"] is None or e["kind"] == "role":
            continue
        role_id, text = role_of.get((e["kind"], e["item_id"]), (None, e["item_id"]))
        out.append({"segment": e["segment"], "role_id": role_id, "kind": e["kind"], "item_id": e["item_id"],
                    "text": text, "odds_ratio": e["odds_ratio"], "q_value": e["q_value"],
                    "deals_with": e["deals_with"]})
    df = pl.DataFrame(out).with_columns(pl.col("odds_ratio").rank("ordinal", descending=True)
                                        .over("segment", "role_id", "kind").alias("rank"))
    return df.to_dicts()


def _create(conn: duckdb.DuckDBPyConnection, name: str, rows: list[dict] | pl.DataFrame,
            schema: dict | None = None) -> None:
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows, schema=schema, infer_schema_length=None)
    conn.register("_frame", frame)
    conn.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame")
    conn.unregister("_frame")


def make_warehouse(path: Path, *, deals: int = 700, analytics: bool = True, empty_analytics: bool = False,
                   seed: int = 7) -> Path:
    """A small realistic warehouse; without analytics (or with empty ones) to test the 'not computed' pages."""
    rng = random.Random(seed)
    conn = duckdb.connect(str(path))
    for schema in ("core", "analytics", "audit"):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    frames = _map_frames()
    for name, frame in frames.items():
        _create(conn, f"core.{name}", frame)
    _create(conn, "core.reps", [{"rep_id": r, "name": n, "team": t, "manager": "M", "region": "EU",
                                 "hired_at": date(2020, 1, 1)} for r, n, t in REPS])
    deal_rows, coverage = _deals(deals, rng)
    _create(conn, "core.deals", [{k: v for k, v in d.items() if k != "_p"} for d in deal_rows])
    conn.execute("ALTER TABLE core.deals ALTER amount TYPE DECIMAL(18, 2)")
    _create(conn, "core.engagements", [{"engagement_id": "E-1", "deal_id": "D-00001",
                                        "occurred_at": datetime(2024, 2, 1), "role_id": "production_manager",
                                        "notes": XSS_ITEM}])
    _create(conn, "audit.loads", [
        {"run_id": run, "file": f, "sha256": "0" * 64, "rows_read": 100, "rows_loaded": 100 - q,
         "rows_quarantined": q, "loaded_at": at}
        for run, at in (("run-1", datetime(2026, 3, 1, 8)), ("run-2", datetime(2026, 3, 21, 6, 30)))
        for f, q in (("deals.csv", 5), ("reps.csv", 0), ("engagements.csv", 4))])
    quarantine = ([("run-2", "deals.csv", "unknown_rep")] * 3 + [("run-2", "deals.csv", "duplicate_id")] * 2
                  + [("run-2", "engagements.csv", "unknown_value_map_id")] * 4
                  + [("run-1", "deals.csv", "bad_date")] * 7)
    _create(conn, "audit.quarantine", [{"run_id": r, "file": f, "line": i + 2, "rule": rule, "raw": "{}"}
                                       for i, (r, f, rule) in enumerate(quarantine)])
    _create(conn, "audit.unmapped_titles", [{"title": t, "engagements": n} for t, n in
                                            (("Head of Widgets", 12), ("CFO", 5), ("<b>Boss</b>", 2))])
    if analytics:
        effects = _effects(deal_rows, coverage)
        cards, gaps = _reps_analytics(deal_rows, coverage, effects)
        tables = {"deal_coverage": coverage, "driver_effects": effects, "rep_scorecard": cards, "rep_gaps": gaps,
                  "open_deal_scores": _open_scores(deal_rows, coverage),
                  "playbook": _playbook(effects, frames["value_maps"], frames["value_map_items"]),
                  "model_quality": [{"segment": s, "closed_deals": 400, "auc_cv": 0.71, "brier_cv": 0.21,
                                     "baseline_brier": 0.245, "fitted_at": datetime(2026, 3, 21)}
                                    for s in ["*", *SEGMENT_MAP]]}
        for name, rows in tables.items():
            _create(conn, f"analytics.{name}", rows)
            if empty_analytics:
                conn.execute(f"DELETE FROM analytics.{name}")
    conn.close()
    return path


def make_big_warehouse(path: Path, *, deals: int = 1_000_000, reps: int = 2000, teams: int = 25,
                       segments: int = 15) -> Path:
    """A large warehouse in pure SQL: many deals, reps, teams, segments and items, to bound page sizes."""
    conn = duckdb.connect(str(path))
    for schema in ("core", "analytics", "audit"):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    conn.execute(f"""
        CREATE TABLE core.value_maps AS SELECT 'map' || s AS map_id, 'Map ' || s AS name, 'segment-' || s AS segment
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
          DATE '2019-01-01' + (hash(i, 'd') % 2600)::INT AS created_at,
          CASE WHEN hash(i, 'o') % 10 < 8 THEN DATE '2019-01-01' + (hash(i, 'd') % 2600)::INT + 60 END AS closed_at,
          CASE WHEN hash(i, 'o') % 10 >= 8 THEN 'open' WHEN hash(i, 'w') % 10 < 4 THEN 'won' ELSE 'lost' END
            AS outcome
          FROM range({deals}) t(i);
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
          0.9 AS or_ci_low, 3.5 AS or_ci_high, true AS significant
          FROM (SELECT segment FROM core.value_maps UNION ALL SELECT '*') s,
               (SELECT kind, item_id FROM core.value_map_items WHERE map_id = 'map0'
                UNION ALL SELECT 'role', role_id FROM core.value_map_roles WHERE map_id = 'map0') i;
        CREATE TABLE analytics.model_quality AS SELECT segment, 50000 AS closed_deals, 0.7 AS auc_cv,
          0.2 AS brier_cv, 0.24 AS baseline_brier, now() AS fitted_at FROM core.value_maps;
        CREATE TABLE analytics.rep_scorecard AS SELECT rep_id, 400 AS closed_deals, 160 AS wins,
          0.3 + (hash(rep_id) % 40) / 100.0 AS win_rate, 0.32 + (hash(rep_id) % 30) / 100.0 AS win_rate_shrunk,
          0.4 AS expected_win_rate, 0.38 AS mix_win_rate, 0.5 AS key_role_coverage,
          0.2 AS win_rate_ci_low, 0.7 AS win_rate_ci_high FROM core.reps;
        CREATE TABLE analytics.rep_gaps AS SELECT r.rep_id, i.kind, i.item_id, 0.3 AS rep_rate, 0.6 AS top_rate,
          (hash(r.rep_id, i.item_id) % 100) / 1000.0 - 0.02 AS contribution
          FROM core.reps r, (SELECT kind, item_id FROM analytics.driver_effects WHERE segment = '*') i;
        CREATE TABLE analytics.open_deal_scores AS SELECT deal_id, rep_id, segment,
          (hash(deal_id, 'p') % 100) / 100.0 AS win_probability, 'value proposition presented' AS top_positive,
          'key player not met' AS top_negative, 'role:role_1' AS next_best_action, 0.1 AS expected_lift
          FROM core.deals WHERE outcome = 'open';
        CREATE TABLE analytics.playbook AS SELECT segment, 'role_0' AS role_id, kind, item_id, item_id AS text,
          1 AS rank, odds_ratio, q_value, deals_with FROM analytics.driver_effects;
        CREATE TABLE audit.loads AS SELECT 'run-1' AS run_id, f AS file, '0' AS sha256, 1000000 AS rows_read,
          999000 AS rows_loaded, 1000 AS rows_quarantined, TIMESTAMP '2026-03-01 08:00' AS loaded_at
          FROM (VALUES ('deals.csv'), ('reps.csv')) t(f);
        CREATE TABLE audit.quarantine AS SELECT 'run-1' AS run_id, 'deals.csv' AS file, i AS line,
          'rule_' || (i % 80) AS rule, '{{}}' AS raw FROM range(100000) t(i);
        CREATE TABLE audit.unmapped_titles AS SELECT 'Title ' || i AS title, i AS engagements FROM range(5000) t(i);
    """)
    conn.close()
    return path
