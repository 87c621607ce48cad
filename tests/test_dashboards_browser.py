"""Dashboards in a real headless Chromium from file://: charts render, filters work, data text never runs."""

from __future__ import annotations

import os
from pathlib import Path

import dashboard_fixtures as fx
import duckdb
import pytest

from valuedata.dashboards import build_dashboards

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
CHARTS = {"index.html": 3, "drivers.html": 1, "reps.html": 2, "value_map.html": 1, "open_deals.html": 2,
          "deals.html": 0}

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                                 reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    wh = fx.make_warehouse(tmp_path_factory.mktemp("wh") / "valuedata.duckdb")
    out = tmp_path_factory.mktemp("site")
    with duckdb.connect(str(wh), read_only=True) as conn:
        report = build_dashboards(conn, out, png=True)
    return report, out


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("request", lambda r: pg.errors.append(f"network: {r.url}") if not r.url.startswith(("file:", "data:"))
          else None)
    yield pg
    context.close()


def open_page(pg, out: Path, name: str) -> None:
    file, _, query = name.partition("?")
    pg.goto((out / file).as_uri() + ("?" + query if query else ""))
    if CHARTS[name.split("?")[0]]:
        pg.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
    else:
        pg.wait_for_selector("#deals tbody tr", state="attached")


def test_png_export_uses_the_installed_chromium(site):
    report, out = site
    assert report.png_status.startswith("PNG export: 9 of 9 charts"), report.png_status
    assert {p.name for p in report.png_files} >= {"index-winrate.png", "drivers-forest.png", "value_map-valuemap.png"}
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in report.png_files)


@pytest.mark.parametrize("name", list(CHARTS))
def test_every_page_renders_offline_and_data_never_runs(site, page, name):
    _, out = site
    open_page(page, out, name)
    plots = page.locator(".js-plotly-plot")
    assert plots.count() == CHARTS[name]
    for i in range(plots.count()):
        assert plots.nth(i).locator("svg.main-svg").count() >= 1
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []
    page.screenshot(path=str(SHOTS / f"{name.removesuffix('.html')}.png"), full_page=True)


def test_html_from_the_data_shows_as_text(site, page):
    _, out = site
    open_page(page, out, "value_map.html?segment=discrete-manufacturing")
    assert "<script>window.__pwned=1</script>Scrap &" in page.locator("#chart-valuemap").inner_text()
    open_page(page, out, "reps.html")
    assert fx.XSS_REP[:30] in page.locator("#coaching").inner_text()  # rep labels are cut to 36 characters
    assert "<img src=x onerror" in page.locator("#chart-reps").inner_text()
    assert page.locator("#coaching img").count() == 0 and page.evaluate("window.__pwned") is None
    page.screenshot(path=str(SHOTS / "reps-escaped.png"), full_page=True)


def test_filters_switch_variants_and_rows(site, page):
    _, out = site
    open_page(page, out, "reps.html")
    rows = page.locator("#coaching tbody tr:not(.hidden)")
    assert rows.count() == 12
    page.select_option("select[name=team]", "East")
    assert rows.count() == 4
    ticks = page.locator("#chart-reps .ytick text").evaluate_all("els => els.map(e => e.textContent)")
    assert "Ana Silva" in ticks and "Gita Rao" not in ticks
    assert "team=East" in page.url and "team=East" in page.locator("header nav a").first.get_attribute("href")
    open_page(page, out, "drivers.html")
    page.select_option("select[name=segment]", "process-industries")
    assert "Operations Director" in page.locator("#chart-forest").inner_text()
    assert page.locator("section[data-exact-segment=process-industries]").is_visible()
    assert not page.locator("section[data-exact-segment=all]").is_visible()
    page.screenshot(path=str(SHOTS / "drivers-process.png"), full_page=True)


def test_drill_down_from_a_driver_and_sorting(site, page):
    _, out = site
    open_page(page, out, "drivers.html")
    page.locator("a", has_text="deals →").first.click()
    page.wait_for_selector("#deals tbody tr", state="attached")
    assert "deals in all" in page.locator("#focus").inner_text()
    open_page(page, out, "deals.html?segment=discrete-manufacturing&kind=role&item=production_manager")
    focus = page.locator("#focus").inner_text()
    assert "Deals where the Production Manager was met — discrete-manufacturing" in focus
    visible = page.locator("#deals tbody tr:not(.hidden)")
    assert visible.count() > 0
    assert set(visible.locator("td:nth-child(5)").all_inner_texts()) == {"discrete-manufacturing"}
    page.locator("#deals th", has_text="Amount").click()
    page.locator("#deals th", has_text="Amount").click()
    amounts = [float(a.replace(",", "")) for a in visible.locator("td:nth-child(7)").all_inner_texts()]
    assert amounts == sorted(amounts)
    page.select_option("#outcome", "lost")
    assert set(visible.locator("td:nth-child(6)").all_inner_texts()) == {"lost"}
    page.screenshot(path=str(SHOTS / "deals-driver.png"), full_page=True)
    open_page(page, out, "deals.html?rep=R01")
    assert "Deals of Ana Silva (East)" in page.locator("#focus").inner_text()
    assert set(visible.locator("td:nth-child(3)").all_inner_texts()) == {"Ana Silva"}
