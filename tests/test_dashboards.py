"""Dashboards: the data behind each chart, escaping, bounded pages, and pages for missing analyses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dashboard_fixtures as fx
import duckdb
import plotly.offline
import pytest

from valuedata.dashboards import build_dashboards
from valuedata.dashboards.pages import build_pages
from valuedata.dashboards.queries import Warehouse

PAGES = ["index.html", "drivers.html", "reps.html", "value_map.html", "open_deals.html", "deals.html",
         "playbooks.html"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return fx.make_warehouse(tmp_path_factory.mktemp("wh") / "valuedata.duckdb")


@pytest.fixture(scope="module")
def built(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("dash")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        report = build_dashboards(conn, out, png=False)
    return report, out


@pytest.fixture(scope="module")
def pages(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {p.file: p for p in build_pages(Warehouse(conn.cursor()))}


@pytest.fixture(scope="module")
def db(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        yield conn


def chart(pages, file, name):
    return next(c for c in pages[file].charts if c.name == name)


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def page_data(path: Path) -> dict:
    html = path.read_text()
    return json.loads(re.search(r'id="dashboard-data">(.*?)</script>', html, re.S).group(1))


def test_writes_every_page_and_plotly_js_once(built):
    report, out = built
    assert list(report.pages) == PAGES
    assert (out / "plotly.min.js").read_text() == plotly.offline.get_plotlyjs()
    assert report.assets["plotly.min.js"] > 4_000_000
    for name in PAGES:
        html = (out / name).read_text()
        scripts = re.findall(r'<script src="([^"]+)"', html)
        assert scripts[0] == "plotly.min.js" and all("/" not in s for s in scripts), scripts
        assert "https://" not in html.split("<body>")[1].split('id="dashboard-data"')[0]
        assert report.pages[name] == (out / name).stat().st_size
    assert report.png_status == "PNG export not requested."


def test_win_rate_over_time_matches_sql(pages, db):
    fig = chart(pages, "index.html", "winrate").variants["all|quarter"]
    total = trace(fig, "All segments")
    won, closed = db.sql("""SELECT count(*) FILTER (WHERE outcome = 'won'), count(*) FROM core.deals
        WHERE outcome <> 'open' AND closed_at >= DATE '2025-07-01' AND closed_at < DATE '2025-10-01'""").fetchall()[0]
    i = list(total.x).index("2025-07-01")
    assert total.y[i] == round(won / closed, 3)
    assert list(total.customdata[i]) == [won, closed]
    seg = trace(fig, "process-industries")
    assert seg.meta == {"filter": {"segment": "process-industries"}}
    east = chart(pages, "index.html", "winrate").variants["East|month"]
    won_e = db.sql("""SELECT count(*) FILTER (WHERE d.outcome = 'won') FROM core.deals d JOIN core.reps r USING (rep_id)
        WHERE r.team = 'East' AND d.outcome <> 'open' AND date_trunc('month', d.closed_at) = DATE '2025-11-01'""").fetchall()[0][0]
    east_total = trace(east, "All segments")
    assert east_total.customdata[list(east_total.x).index("2025-11-01")][0] == won_e


def test_pipeline_and_coverage_match_sql(pages, db):
    fig = chart(pages, "index.html", "pipeline").variants["all|all"]
    won = sum(t.y[1] for t in fig.data)
    assert won == db.sql("SELECT count(*) FROM core.deals WHERE outcome = 'won'").fetchall()[0][0]
    latest = chart(pages, "index.html", "pipeline").variants["all|q0"]
    lost_q0 = db.sql("""SELECT count(*) FROM core.deals WHERE outcome = 'lost'
        AND closed_at >= DATE '2026-01-01'""").fetchall()[0][0]
    assert sum(t.y[2] for t in latest.data) == lost_q0
    cov = chart(pages, "index.html", "coverage").variants["all|all"]
    bars = trace(cov, "All segments")
    full = list(bars.x).index("All")
    w, n = db.sql("""SELECT count(*) FILTER (WHERE outcome = 'won'), count(*) FROM analytics.deal_coverage
        WHERE outcome <> 'open' AND key_role_coverage = 1""").fetchall()[0]
    assert bars.y[full] == round(w / n, 3) and bars.text[full] == f"n={n}"


def test_forest_plot_shows_adjusted_odds_ratios_on_a_log_axis(pages, db):
    forest = chart(pages, "drivers.html", "forest")
    fig = forest.variants["discrete-manufacturing"]
    assert fig.layout.xaxis.type == "log"
    rows = dict(db.sql("""SELECT kind || ':' || item_id, odds_ratio FROM analytics.driver_effects
        WHERE segment = 'discrete-manufacturing' AND odds_ratio IS NOT NULL""").fetchall())
    ticks = list(fig.layout.yaxis.ticktext)
    plotted = {}
    for t in fig.data:
        if t.xaxis in (None, "x") and t.mode == "markers":
            for x, y, url in zip(t.x, t.y, t.customdata):
                plotted[url] = (x, ticks[y], t.name)
    pm = plotted["deals.html?segment=discrete-manufacturing&kind=role&item=production_manager"]
    assert pm[0] == round(rows["role:production_manager"], 4) and pm[1] == "Key player: Production Manager"
    sig = db.sql("""SELECT significant FROM analytics.driver_effects WHERE segment = 'discrete-manufacturing'
        AND item_id = 'production_manager'""").fetchall()[0][0]
    assert pm[2] == ("Significant: more wins" if sig else "Not significant")
    assert not any("q_signoff" in url for url in plotted)  # null estimate: not plotted as a number
    html = (pages["drivers.html"].html)
    assert "Question: Who signs off a change to the line? — not enough data" in html
    hover = next(h for t in fig.data if t.xaxis in (None, "x") and t.hovertext
                 for h, u in zip(t.hovertext, t.customdata) if u.endswith("production_manager"))
    r = db.sql("""SELECT win_rate_with, win_rate_without, deals_with, deals_without FROM analytics.driver_effects
        WHERE segment = 'discrete-manufacturing' AND item_id = 'production_manager'""").fetchall()[0]
    assert (f"Deals where the Production Manager was met: won {r[0]:.0%} vs {r[1]:.0%} without "
            f"(n={r[2]:,}/{r[3]:,})") in hover.replace("<br>", " ")
    assert "Adjusted odds ratio" in hover and "q" in hover
    assert set(forest.variants) == {"all", "discrete-manufacturing", "process-industries", "utilities"}


def test_reps_charts_match_scorecard_and_gaps(pages, db):
    fig = chart(pages, "reps.html", "reps").variants["all"]
    expected = trace(fig, "Expected from behaviours and deal mix")
    card = dict(db.sql("SELECT r.name, s.expected_win_rate FROM analytics.rep_scorecard s JOIN core.reps r "
                       "USING (rep_id)").fetchall())
    i = list(expected.y).index("Ana Silva")
    assert expected.x[i] == round(card["Ana Silva"], 3)
    assert "Sam Lee (R04)" in expected.y and "Sam Lee (R06)" in expected.y  # duplicate names stay apart
    heat = chart(pages, "reps.html", "gaps").variants["all"].data[0]
    col = list(heat.x).index("Key player: Procurement Lead")
    row = list(heat.y).index("Ana Silva")
    c = db.sql("SELECT contribution FROM analytics.rep_gaps WHERE rep_id = 'R01' AND item_id = 'procurement_lead'"
               ).fetchall()[0][0]
    assert heat.z[row][col] == round(c * 100, 1)
    west = chart(pages, "reps.html", "gaps").variants["West"].data[0]
    assert len(west.y) == 4 and "Ana Silva" not in west.y and "Dev Patel" in west.y
    assert any(y.startswith("&lt;img src=x") for y in west.y)  # cut, then escaped for Plotly
    assert 'Meet the Procurement Lead' in pages["reps.html"].html


def test_value_map_hierarchy_and_evidence_colours(pages):
    vm = chart(pages, "value_map.html", "valuemap")
    fig = vm.variants["discrete-manufacturing"]
    ic = fig.data[0]
    by_id = dict(zip(ic.ids, ic.labels))
    vp_parents = [by_id[parent] for label, parent in zip(ic.labels, ic.parents) if "Raise first-pass yield" in label]
    assert len(vp_parents) == 2 and any("Unplanned downtime" in p for p in vp_parents)  # under each issue it addresses
    pm = next(i for i, label in enumerate(ic.labels) if "Production Manager" in label)
    assert ic.labels[pm].startswith("★") and ic.marker.colors[pm].startswith("#")
    assert ic.marker.colors[pm] not in ("#e6e6e6", "#efe6c8")
    signoff = next(i for i, label in enumerate(ic.labels) if "signs off" in label)
    assert ic.marker.colors[signoff] == "#e6e6e6"  # not enough data
    assert any("&lt;script&gt;" in label for label in ic.labels)
    assert set(vm.variants) == {"all", "discrete-manufacturing", "process-industries"}


def test_open_deals_ranked_by_value_at_risk(pages, db):
    fig = chart(pages, "open_deals.html", "atrisk").default()
    top = db.sql("""SELECT s.deal_id FROM analytics.open_deal_scores s JOIN core.deals d USING (deal_id)
        ORDER BY d.amount * (1 - s.win_probability) DESC LIMIT 1""").fetchall()[0][0]
    anchors = [c[0] for t in fig.data for c in t.customdata]
    assert f"#deal-{top.replace('-', '-')}" in anchors
    assert all(t.meta["filter"].keys() == {"segment", "team"} for t in fig.data)
    html = pages["open_deals.html"].html
    first_row = html.split("<tbody>")[1].split("</tr>")[0]
    assert top in first_row and "Meet the" in first_row


def test_drill_down_counts_and_bounded_sample(built, db):
    _, out = built
    deals = page_data(out / "deals.html")["deals"]
    key = "driver|discrete-manufacturing|role|production_manager"
    won, lost, open_ = db.sql("""SELECT count(*) FILTER (WHERE outcome = 'won'), count(*) FILTER (WHERE outcome = 'lost'),
        count(*) FILTER (WHERE outcome = 'open') FROM analytics.deal_coverage
        WHERE segment = 'discrete-manufacturing' AND list_contains(roles_engaged, 'production_manager')""").fetchall()[0]
    assert deals["groups"][key] == [won, lost, open_]
    assert len(deals["rows"]) <= 2 * 2 * len(deals["groups"]) + 2 * len(deals["groups"])
    pm = next(i for i, it in enumerate(deals["items"]) if it[:2] == ["role", "production_manager"])
    biggest_won = db.sql("""SELECT deal_id FROM analytics.deal_coverage WHERE segment = 'discrete-manufacturing'
        AND outcome = 'won' AND list_contains(roles_engaged, 'production_manager') ORDER BY amount DESC LIMIT 1""").fetchall()[0][0]
    row = next(r for r in deals["rows"] if r[0] == biggest_won)
    assert pm in row[8] and row[4] == "won"
    reps_html = (out / "reps.html").read_text()
    assert 'href="deals.html?rep=R01"' in reps_html
    assert 'href="deals.html?segment=discrete-manufacturing&amp;kind=role&amp;item=production_manager"' in \
        (out / "drivers.html").read_text()


def test_no_data_text_reaches_the_page_unescaped(built):
    _, out = built
    for name in PAGES:
        html = (out / name).read_text()
        assert "<script>window.__pwned" not in html and "<img src=x" not in html, name
        assert "<b>Boss</b>" not in html
    assert "&lt;b&gt;Boss&lt;/b&gt;" in (out / "index.html").read_text()
    data = json.dumps(page_data(out / "value_map.html"))
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in data


@pytest.mark.parametrize("mode", ["missing", "empty"])
def test_missing_or_empty_analytics_say_not_computed(tmp_path, mode):
    wh = fx.make_warehouse(tmp_path / "w.duckdb", deals=80, analytics=mode == "empty", empty_analytics=True)
    with duckdb.connect(str(wh), read_only=True) as conn:
        report = build_dashboards(conn, tmp_path / "out", png=False)
    assert list(report.pages) == PAGES
    for name, words in [("drivers.html", "not computed yet"), ("reps.html", "not computed yet"),
                        ("open_deals.html", "not computed yet"), ("deals.html", "No deals to drill into yet")]:
        assert words in (tmp_path / "out" / name).read_text(), name
    assert any("driver_effects" in n for n in report.notes)
    assert "Key-player coverage not computed yet" in (tmp_path / "out" / "index.html").read_text()
    assert "Value map" in (tmp_path / "out" / "value_map.html").read_text()


def test_no_deals_at_all(tmp_path):
    path = tmp_path / "bare.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA core; CREATE TABLE core.reps (rep_id VARCHAR, name VARCHAR, team VARCHAR)")
    with duckdb.connect(str(path), read_only=True) as conn:
        report = build_dashboards(conn, tmp_path / "out", png=False)
    assert "No deals loaded yet" in (tmp_path / "out" / "index.html").read_text()
    assert report.notes
