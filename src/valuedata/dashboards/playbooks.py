"""The playbooks page: links to one evidence-ranked playbook per segment, each written beside the dashboards."""

from __future__ import annotations

import re

from valuedata.vocabulary import ALL_SEGMENTS
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.html import Markup, link, notice, page, table
from valuedata.errors import ValuedataError
from valuedata import playbook_report  # a module import: playbook_report reads dashboards.lookalikes


def playbook_file(segment: str) -> str:
    """The file name of a segment's playbook page."""
    return "playbook-" + (re.sub(r"[^a-z0-9]+", "-", segment.lower()).strip("-") or "all") + ".html"


def build(ctx: Context, cautions: dict) -> list[Page]:
    """The playbooks index page and one self-contained playbook page per segment of the maps (`cautions`: the
    look-alikes, see lookalikes.py)."""
    if ctx.wh.frame("playbook_segments").is_empty():
        body = [notice("Playbooks not computed yet (analytics.playbook is empty).")]
        return [Page("playbooks.html", page("Playbooks", "playbooks.html", body, charts=[], filters=[]), [],
                     ["playbooks: analytics.playbook not computed yet"])]
    segments = sorted(s for s in ctx.tables["maps"]["segment"].unique() if s != ALL_SEGMENTS)
    pages, rows = [], []
    for segment in segments:
        try:
            html = playbook_report.render_playbook(ctx.wh.conn, segment, None, "html", back="playbooks.html",
                                                   cautions=cautions)
        except ValuedataError as exc:
            rows.append([segment, str(exc)])
            continue
        pages.append(Page(playbook_file(segment), html))
        rows.append([link(playbook_file(segment), segment), "who to meet, questions to ask, value "
                     "propositions to present — ranked by what wins"])
    intro = Markup("<p>The article's sales tools, generated from each segment's value map and ranked by the "
                   "evidence of won and lost deals. Print one and take it into a meeting; "
                   "<code>valuedata playbook --segment S --role R</code> makes one for a single role.</p>")
    index = page("Playbooks", "playbooks.html", [intro, table(["Segment", "What is in it"], rows)],
                 charts=[], filters=[])
    return [Page("playbooks.html", index), *pages]
