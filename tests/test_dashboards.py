"""Dashboards built by the real pipeline: every number matches the warehouse and obeys what the analyses allow."""

from __future__ import annotations

import json
import re
import shutil
import struct
from html import unescape
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import plotly.offline
import pytest
from dashboard_worlds import noise, seeds  # noqa: F401 - session fixtures: warehouses built by the real pipeline

from valuedata.dashboards import build_dashboards, limits
from valuedata.dashboards.export import find_browser
from valuedata.dashboards.figures import empty
from valuedata.dashboards.pages import build_pages
from valuedata.dashboards.queries import OTHER_TEAMS, WarehouseReader

PAGES = ["index.html", "drivers.html", "reps.html", "value_map.html", "open_deals.html", "deals.html",
         "playbooks.html", "playbook-discrete-manufacturing.html", "playbook-food-processing.html"]


def _pages(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {p.file: p for p in build_pages(WarehouseReader(conn.cursor()))}


@pytest.fixture(scope="module")
def pages(seeds):
    return _pages(seeds.warehouse)


@pytest.fixture(scope="module")
def noise_pages(noise):
    return _pages(noise.warehouse)


@pytest.fixture(scope="module")
def db(seeds):
    with duckdb.connect(str(seeds.warehouse), read_only=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def noise_db(noise):
    with duckdb.connect(str(noise.warehouse), read_only=True) as conn:
        yield conn


def chart(pages, file, name):
    return next(c for c in pages[file].charts if c.name == name)


def trace(fig, name):
    return next(t for t in fig["data"] if t.get("name") == name)


def page_data(html: str) -> dict:
    return json.loads(re.search(r'id="dashboard-data">(.*?)</script>', html, re.S).group(1))


def test_pipeline_writes_every_page_and_plotly_js_once(seeds):
    site = seeds.dashboards
    assert sorted(p.name for p in site.glob("*.html")) == sorted(PAGES)
    assert (site / "plotly.min.js").read_text() == plotly.offline.get_plotlyjs()
    for name in PAGES[:7]:
        html = (site / name).read_text()
        scripts = re.findall(r'<script src="([^"]+)"', html)
        assert scripts[0] == "plotly.min.js" and all("/" not in s for s in scripts), scripts
        assert "https://" not in html.split("<body>")[1].split('id="dashboard-data"')[0]
    assert not (site / "png").exists()  # tests run with VALUEDATA_DASHBOARD_PNG=0 (tests/conftest.py)


@pytest.mark.browser
@pytest.mark.skipif(find_browser() is None, reason="PNG export needs a Chrome/Chromium (apt-get install chromium)")
def test_png_export_writes_every_chart_and_redraws_only_what_changed(seeds, pages, tmp_path, monkeypatch):
    with duckdb.connect(str(seeds.warehouse), read_only=True) as conn:
        report = build_dashboards(conn, tmp_path / "first", png=True)
        charts = {f"{p.file.removesuffix('.html')}-{c.name}.png" for p in pages.values() for c in p.charts}
        assert {f.name for f in report.png_files} == charts and len(charts) == 9, report.png_status
        for file in report.png_files:
            data = file.read_bytes()
            width, height = struct.unpack(">II", data[16:24])  # the PNG header's IHDR chunk
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and width == 1200 and height >= 300, (file.name, width, height)
        assert report.png_status.startswith(f"PNG export: 9 of 9 charts written to {tmp_path / 'first' / 'png'} "
                                            "(9 drawn, 0 copied"), report.png_status

        # the next build copies each chart recorded as drawn from the same figure and draws the one recorded
        # otherwise; with no browser left, that one is missing and the status says why
        digests = tmp_path / "first" / "png" / "charts.json"
        recorded = json.loads(digests.read_text())
        digests.write_text(json.dumps(recorded | {"index-winrate": "drawn from other data"}))
        (tmp_path / "first" / "png" / "index-pipeline.png").write_bytes(b"copied, not drawn")
        monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-browser"))
        again = build_dashboards(conn, tmp_path / "second", png=True, previous=tmp_path / "first")
    assert again.png_status.startswith(f"PNG export: 8 of 9 charts written to {tmp_path / 'second' / 'png'} "
                                       "(0 drawn, 8 copied from the last build: unchanged). PNG export skipped: "
                                       "no Chrome/Chromium found"), again.png_status
    assert {f.name for f in again.png_files} == charts - {"index-winrate.png"}
    assert (tmp_path / "second" / "png" / "index-pipeline.png").read_bytes() == b"copied, not drawn"
    assert json.loads((tmp_path / "second" / "png" / "charts.json").read_text()) == {
        name: digest for name, digest in recorded.items() if name != "index-winrate"}


def test_win_rate_over_time_matches_sql(pages, db):
    fig = chart(pages, "index.html", "winrate").variants["all|quarter"]
    total = trace(fig, "All segments")
    x = total["x"][-2]
    won, closed = db.execute(f"""SELECT count(*) FILTER (WHERE outcome = 'won'), count(*) FROM core.deals
        WHERE outcome <> 'open' AND date_trunc('quarter', closed_at) = DATE '{x}'""").fetchall()[0]
    assert list(total["customdata"][-2]) == [won, closed] and total["y"][-2] == round(won / closed, 3)


def test_pipeline_and_coverage_match_sql(pages, db):
    fig = chart(pages, "index.html", "pipeline").variants["all|all"]
    won = db.execute("SELECT count(*) FROM core.deals WHERE outcome = 'won'").fetchone()[0]
    assert sum(t["y"][1] for t in fig["data"]) == won
    cov = chart(pages, "index.html", "coverage").variants["all|all"]
    bars = trace(cov, "All segments")
    w, n = db.execute("""SELECT count(*) FILTER (WHERE outcome = 'won'), count(*) FROM analytics.deal_coverage
        WHERE outcome <> 'open' AND key_role_coverage = 1""").fetchone()
    full = list(bars["x"]).index("All")
    assert bars["y"][full] == round(w / n, 3) and bars["text"][full] == f"n={n:,}"
    assert list(cov["layout"]["xaxis"]["categoryarray"]) == list(bars["x"])  # no always-empty bin on the axis


def test_every_figure_is_valid_plotly(pages, noise_pages):
    """The builders write plotly JSON by hand: plotly validates every property name and value of every variant
    of both worlds' pages."""
    figures = {f"{world} {file} {c.name} {key}": fig for world, built in (("seeds", pages), ("noise", noise_pages))
               for file, p in built.items() for c in p.charts for key, fig in c.variants.items()}
    figures["empty"] = empty("Nothing to plot")
    for name, fig in figures.items():
        try:
            go.Figure(fig)
        except ValueError as exc:
            pytest.fail(f"{name}: {exc}")


def _tiles(pages, key: str) -> dict[str, str]:
    tiles = page_data(pages["index.html"].html)["tiles"]
    return dict(zip(tiles["labels"], tiles["values"][key]))


@pytest.mark.parametrize("segment", ["all", "food-processing"])
def test_headline_tiles_follow_the_filters_and_never_add_currencies(pages, db, segment):
    period = next(p for p in page_data(pages["index.html"].html)["periods"].items() if p[0] == "q0")[1]
    where = f"segment = '{segment}'" if segment != "all" else "true"
    in_period = (f"CASE WHEN outcome = 'open' THEN created_at ELSE coalesce(closed_at, created_at) END "
                 f"BETWEEN DATE '{period['start']}' AND DATE '{period['end']}' - 1")
    deals, closed, won, open_ = db.execute(f"""SELECT count(*), count(*) FILTER (WHERE outcome <> 'open'),
        count(*) FILTER (WHERE outcome = 'won'), count(*) FILTER (WHERE outcome = 'open')
        FROM core.deals WHERE {where} AND {in_period}""").fetchone()
    tiles = _tiles(pages, f"{segment}|all|q0")
    assert tiles["Deals"] == f"{deals:,}" and tiles["Closed"] == f"{closed:,}" and tiles["Open deals"] == f"{open_:,}"
    assert tiles["Win rate (raw)"] == f"{won / closed:.0%}"
    everything = _tiles(pages, "all|all|all")
    assert int(everything["Deals"].replace(",", "")) > deals  # the filtered tiles are not the whole
    amounts = dict(db.execute(f"""SELECT currency, sum(amount) FROM core.deals WHERE outcome = 'open' AND {where}
        AND {in_period} GROUP BY currency""").fetchall())
    assert {k for k in tiles if k.startswith("Open amount")} == {"Open amount (USD)", "Open amount (EUR)",
                                                                  "Open amount (GBP)"}
    for currency, total in amounts.items():
        shown = tiles[f"Open amount ({currency})"]
        value = float(shown.split()[0].rstrip("kMB")) * {"k": 1e3, "M": 1e6, "B": 1e9}.get(shown.split()[0][-1], 1)
        assert shown.endswith(f" {currency}") and value == pytest.approx(float(total), rel=0.05)


def test_amounts_always_carry_their_currency(pages, db):
    html = pages["open_deals.html"].html
    rows = re.findall(r'<td class="num" data-v="[^"]*">([^<]*)</td>', html.split('id="atrisk-table"')[1])
    amounts = [r for r in rows if not r.endswith("%")]
    assert amounts and all(re.fullmatch(r"[\d.,]+[kMB]? (USD|EUR|GBP)", a) for a in amounts), amounts[:6]
    bands = chart(pages, "open_deals.html", "bands").variants["all"]
    scored = db.execute("SELECT count(*) FROM analytics.open_deal_scores").fetchone()[0]
    assert sum(sum(t["y"]) for t in bands["data"]) == scored
    # counts: amounts in three currencies are never stacked
    assert bands["layout"]["yaxis"]["title"]["text"] == "Open deals"


def test_quarantined_rows_stay_visible_after_a_rerun(noise_pages, noise_db):
    runs = noise_db.execute("SELECT count(DISTINCT run_id) FROM audit.loads").fetchone()[0]
    held = noise_db.execute("SELECT file, rule, count(*) FROM audit.quarantine GROUP BY ALL").fetchall()
    assert held and runs == 2
    html = noise_pages["index.html"].html
    section = html.split('id="quarantine"')[1].split("</section>")[0]
    total = sum(n for _, _, n in held)
    assert f"{total} rows of the current input are set aside, by file and rule" in section
    for file, rule, n in held:
        assert f"<td>{file}</td><td>{rule}</td><td class=\"num\">{n}</td>" in section


def test_unmapped_titles_follow_the_segment_filter(pages, db):
    html = pages["index.html"].html
    for segment in ("all", "food-processing"):
        block = html.split(f'<div data-exact-segment="{segment}">')[1].split("</div>")[0]
        where = "" if segment == "all" else f"AND d.segment = '{segment}'"
        top = db.execute(f"""SELECT e.contact_title, count(*) n FROM core.engagements e JOIN core.deals d USING (deal_id)
            WHERE e.role_id IS NULL AND e.contact_title IN (SELECT title FROM audit.unmapped_titles) {where}
            GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1""").fetchone()
        first = re.search(r"<tbody><tr><td>(.*?)</td><td class=\"num\">(\d+)</td>", block)
        assert first.group(2) == str(top[1])


def test_reps_page_leads_with_the_verdict_and_coaches_only_coach_rows(pages, db):
    verdict, = db.execute("SELECT verdict FROM analytics.rep_heterogeneity").fetchone()
    html = pages["reps.html"].html
    assert "reps differ beyond chance" in verdict
    assert verdict[1:] in html.split('id="verdict"')[1].split("</section>")[0]
    coach = db.execute("""SELECT g.rep_id, r.name, g.kind, g.item_id FROM analytics.rep_gaps g JOIN core.reps r USING (rep_id)
        WHERE g.coach""").fetchall()
    listed = html.split('id="coaching"')[1].split("</table>")[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", listed.split("<tbody>")[1])
    assert len(rows) == len({c[0] for c in coach}) > 0
    per_rep = {rep: sum(1 for c in coach if c[0] == rep) for rep, *_ in coach}
    assert sum(r.count("<li>") for r in rows) == sum(min(3, n) for n in per_rep.values())
    heat = chart(pages, "reps.html", "gaps").variants["all"]["data"][0]
    cells = sum(1 for row in heat["z"] for v in row if v is not None)
    assert cells == len(coach)
    small = db.execute("SELECT rep_id FROM analytics.rep_scorecard WHERE small_sample").fetchall()
    assert not {c[0] for c in coach} & {s[0] for s in small}


def test_no_coaching_where_reps_do_not_differ(noise_pages, noise_db):
    verdict, = noise_db.execute("SELECT verdict FROM analytics.rep_heterogeneity").fetchone()
    assert verdict.startswith("reps do not differ beyond chance")
    page = noise_pages["reps.html"]
    assert verdict[1:] in page.html and "no coaching list and no gap heatmap" in page.html
    assert 'id="coaching"' not in page.html and [c.name for c in page.charts] == ["reps"]
    fig = chart(noise_pages, "reps.html", "reps").variants["all"]
    assert not any("clearly" in t.get("name", "") for t in fig["data"])  # nobody coloured above or below expected


def test_no_next_best_action_where_the_analyses_give_none(noise_pages, noise_db):
    withheld = dict(noise_db.execute("""SELECT s.deal_id, coalesce(s.note, 'the model') FROM analytics.open_deal_scores s
        JOIN analytics.model_quality m ON m.segment = s.model_segment
        WHERE s.next_best_action IS NULL OR NOT m.better_than_baseline""").fetchall())
    scored = noise_db.execute("SELECT count(*) FROM analytics.open_deal_scores").fetchone()[0]
    assert len(withheld) == scored  # on coin flips no action is earned
    html = noise_pages["open_deals.html"].html
    table = html.split('id="atrisk-table"')[1]
    assert "points of win probability" not in html
    rows = re.findall(r'<span id="deal-([^"]+)">.*?</tr>', table, re.S)
    cells = re.findall(r"<td>(None: [^<]*)</td>", table)
    assert rows and len(cells) == len(rows)
    assert all(any(note in unescape(cell) for note in set(withheld.values())) or "does not beat" in cell
               for cell in cells)


def test_next_best_actions_where_the_model_earns_them(pages, db):
    html = pages["open_deals.html"].html
    first = html.split('id="atrisk-table"')[1].split("<tbody>")[1].split("</tr>")[0]
    top = db.execute("""SELECT s.deal_id, s.next_best_action FROM analytics.open_deal_scores s JOIN core.deals d USING (deal_id)
        ORDER BY d.amount * (1 - s.win_probability) DESC, s.deal_id LIMIT 1""").fetchone()
    assert top[0] in first and "points of win probability)" in first and "Holding it back:" in first


def test_drivers_page_statuses_attributes_and_models_in_words(pages, db):
    html = pages["drivers.html"].html
    m = db.execute("SELECT auc_cv, cv_scheme FROM analytics.model_quality WHERE segment = 'discrete-manufacturing'").fetchone()
    section = html.split('data-exact-segment="discrete-manufacturing"')[1].split("</section>")[0]
    assert f"cross-validated AUC {m[0]:.2f}" in section and m[1] in section
    assert "not clear: its interval" in section
    forest = chart(pages, "drivers.html", "forest").variants["discrete-manufacturing"]
    labels = [t.replace("<br>", " ") for t in forest["layout"]["yaxis"]["ticktext"]]
    assert "Key player: Production Manager" in labels and not any(lbl.endswith("…") and len(lbl) < 60
                                                                   for lbl in labels)


def test_lookalike_is_flagged_next_to_the_item(pages):
    html = pages["drivers.html"].html
    section = html.split('data-exact-segment="discrete-manufacturing"')[1].split("</section>")[0]
    row = section.split("<td>Key player: Quality Manager</td>")[1].split("</tr>")[0]
    assert "⚠ look-alike: it mostly travels with a stronger driver, Key player: Production Manager" in row
    pm = section.split("<td>Key player: Production Manager</td>")[1].split("</tr>")[0]
    assert "look-alike" not in pm and "<td>clear</td>" in pm
    labels = chart(pages, "drivers.html", "forest").variants["discrete-manufacturing"]["layout"]["yaxis"]["ticktext"]
    assert any(t.startswith("⚠ Key player: Quality Manager") for t in labels)


def test_value_map_hover_carries_the_evidence_and_star_means_impact(pages, db):
    fig = chart(pages, "value_map.html", "valuemap").variants["discrete-manufacturing"]
    icicle = fig["data"][0]
    labels = icicle["labels"]
    assert icicle["hovertext"] and len(icicle["hovertext"]) == len(labels)
    pm = next(i for i, lbl in enumerate(labels) if lbl.endswith("Production Manager"))
    assert "Adjusted odds ratio 2" in icicle["hovertext"][pm] and not labels[pm].startswith("★")
    impact = [t for (t,) in db.execute("SELECT text FROM core.value_map_items WHERE impact").fetchall()]
    plain = [unescape(re.sub(r"^(★ )?(⚠ )?(Value prop · |Question · )?", "", lbl.replace("<br>", " ")))
             for lbl in labels]
    starred = [p for p, lbl in zip(plain, labels) if lbl.startswith("★")]
    assert starred and all(any(t.startswith(p[:25]) for t in impact) for p in starred)
    assert not any(any(t.startswith(p[:25]) for t in impact) for p, lbl in zip(plain, labels)
                   if not lbl.startswith("★") and len(p) > 25)


def test_drill_down_counts_are_for_every_deal(pages, db):
    deals = page_data(pages["deals.html"].html)["deals"]
    key = "driver|discrete-manufacturing|role|production_manager"
    counts = db.execute("""SELECT count(*) FILTER (WHERE outcome = 'won'), count(*) FILTER (WHERE outcome = 'lost'),
        count(*) FILTER (WHERE outcome = 'open') FROM analytics.deal_coverage
        WHERE segment = 'discrete-manufacturing' AND list_contains(roles_engaged, 'production_manager')""").fetchone()
    assert deals["groups"][key] == list(counts)


def test_no_data_text_reaches_the_page_unescaped(seeds):
    for name in PAGES:
        html = (seeds.dashboards / name).read_text()
        assert "<script>window.__pwned" not in html and "<img src=x" not in html, name
        assert "<b>Boss</b>" not in html and "<b>IT Director</b>" not in html, name
    assert "&lt;b&gt;IT Director&lt;/b&gt;" in (seeds.dashboards / "index.html").read_text()
    data = json.dumps(page_data((seeds.dashboards / "value_map.html").read_text()))
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in data


def test_empty_analytics_say_not_computed(noise, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(noise.warehouse, path)
    with duckdb.connect(str(path)) as conn:
        for (name,) in conn.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics' "
                                "AND table_type = 'BASE TABLE'").fetchall():
            conn.execute(f"DELETE FROM analytics.{name}")
    with duckdb.connect(str(path), read_only=True) as conn:
        report = build_dashboards(conn, tmp_path / "out", png=False)
    for name, words in [("drivers.html", "not computed yet"), ("reps.html", "not computed yet"),
                        ("open_deals.html", "not computed yet"), ("playbooks.html", "not computed yet")]:
        assert words in (tmp_path / "out" / name).read_text(), name
    assert any("driver_effects" in n for n in report.notes)
    assert '"complete":true' in (tmp_path / "out" / "deals.html").read_text()  # the deals themselves still list


def test_no_deals_at_all(noise, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(noise.warehouse, path)
    with duckdb.connect(str(path)) as conn:
        for schema, name in conn.sql("SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
                                     "IN ('core', 'analytics', 'audit') AND table_type = 'BASE TABLE'").fetchall():
            conn.execute(f"DELETE FROM {schema}.{name}")
    with duckdb.connect(str(path), read_only=True) as conn:
        report = build_dashboards(conn, tmp_path / "out", png=False)
    assert "No deals loaded yet" in (tmp_path / "out" / "index.html").read_text()
    assert "No value map loaded yet" in (tmp_path / "out" / "value_map.html").read_text()
    assert {n.split(":")[0] for n in report.notes} == {"overview", "drivers", "reps", "value_map", "open_deals",
                                                       "deals", "playbooks"}


def test_teams_beyond_the_filter_cap_are_pooled(noise_pages, noise_db):
    by_team = noise_db.execute("""SELECT r.team, count(*) AS deals FROM core.deals d JOIN core.reps r USING (rep_id)
        GROUP BY r.team ORDER BY deals DESC, r.team""").fetchall()
    assert len(by_team) > limits.MAX_TEAMS  # one team per rep in this world
    data = page_data(noise_pages["index.html"].html)
    team_filter = next(f for f in data["filters"] if f["dim"] == "team")
    shown = [t for t, _ in by_team[:limits.MAX_TEAMS]]
    assert [value for value, _ in team_filter["options"]] == ["all", *shown, OTHER_TEAMS]
    tiles = dict(zip(data["tiles"]["labels"], data["tiles"]["values"][f"all|{OTHER_TEAMS}|all"]))
    assert tiles["Deals"] == f"{sum(n for _, n in by_team[limits.MAX_TEAMS:]):,}"
