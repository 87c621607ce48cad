"""The readable playbook: one segment (optionally one role) from the warehouse, as Markdown or HTML.

`render_playbook` reads analytics.playbook, the map tables, the rep heterogeneity verdict and the unmapped
contact titles, lays the playbook out as a list of blocks — a one-page brief first, the evidence after — and
renders them. HTML is self-contained (inline CSS, no script, a Content-Security-Policy that forbids scripts)
and escapes every piece of text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import jinja2
import polars as pl

from valuedata.analysis.coaching import coaching_verdict
from valuedata.analysis.playbook import IMPACT, LOSES, NO_DATA, UNCLEAR, WINS
from valuedata.dashboards import lookalikes, queries
from valuedata.dashboards.labels import MapText
from valuedata.errors import ValuedataError
from valuedata.vocabulary import ALL_SEGMENTS

FORMATS = ("md", "html")
TONES = {WINS: "win", UNCLEAR: "unclear", NO_DATA: "nodata", LOSES: "lose"}
CONTEXT_KINDS = {"objective": "Objectives", "metric": "Metrics", "strategy": "Strategies"}
BRIEF_ROLES = 3  # key players in the one-page brief
BRIEF_ITEMS = 2  # issues, questions and value propositions per key player in the brief
UNMAPPED_TITLES_SHOWN = 5
UNMAPPED_MIN_WON = 3
FREQUENT_ISSUE_SHARE = 0.05
HOW_TO_READ = (
    "Rank 1 = most evidence of winning. \"Won 52% against 24%\" compares closed deals with and without "
    "the item. The odds figure adjusts for everything else on the deal; only a clear effect is evidence. "
    "★ = where our offer has impact, as the map says. ⚠ marks what to handle with care."
)


@dataclass(frozen=True)
class Block:
    """One piece of the report: heading, para, bullets, numbered or table."""

    kind: str
    text: str = ""
    level: int = 2
    lead: str = ""
    items: list = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    tones: list[str] = field(default_factory=list)


def heading(text: str, level: int = 2) -> Block:
    return Block("heading", text=text, level=level)


def para(text: str, lead: str = "") -> Block:
    return Block("para", text=text, lead=lead)


def bullets(items: list[str]) -> Block:
    return Block("bullets", items=items)


def numbered(items: list[tuple[str, str]]) -> Block:
    """Numbered (title, detail) pairs."""
    return Block("numbered", items=items)


def table(header: list[str], rows: list[list[str]], tones: list[str] | None = None) -> Block:
    return Block("table", header=header, items=rows, tones=tones or [""] * len(rows))


def render_playbook(conn: duckdb.DuckDBPyConnection, segment: str, role: str | None = None, fmt: str = "md",
                    back: str | None = None, cautions: dict | None = None) -> str:
    """The playbook of `segment` (one role's part when `role` is a role_id or title) as 'md' or 'html'.

    `back`, for HTML beside the dashboards: the page a "back" link at the top leads to. `cautions`: the
    look-alikes (lookalikes.cautions), when the caller has them already; worked out here otherwise.
    Raises ValuedataError for an unknown format, segment or role, naming the valid ones.
    """
    if fmt not in FORMATS:
        raise ValuedataError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    _require_tables(conn)
    rows = with_cautions(_playbook_rows(conn, segment), _cautions(conn) if cautions is None else cautions)
    role_id = _resolve_role(rows, segment, role)
    title, blocks = playbook_blocks(conn, segment, rows, role_id)
    return to_html(title, blocks, back) if fmt == "html" else to_markdown(title, blocks)


def _cautions(conn: duckdb.DuckDBPyConnection) -> dict:
    """The look-alikes of the warehouse (see dashboards/lookalikes.py)."""
    wh = queries.WarehouseReader(conn)
    tables = queries.map_tables(wh)
    return lookalikes.cautions(wh, wh.frame("driver_effects"), MapText(tables), tables)


def with_cautions(rows: pl.DataFrame, cautions: dict) -> pl.DataFrame:
    """The playbook rows with each look-alike's caution added to its `flag`."""
    found = [(seg, kind, item, text) for (seg, kind, item), text in cautions.items()]
    frame = pl.DataFrame(found, schema={c: pl.Utf8 for c in ("evidence_segment", "kind", "item_id", "caution")},
                         orient="row")
    flag = pl.concat_list(pl.col("flag"), pl.col("caution")).list.drop_nulls().list.join("; ")
    return (rows.join(frame, on=["evidence_segment", "kind", "item_id"], how="left")
            .with_columns(flag=pl.when(flag != "").then(flag)).drop("caution"))


def _require_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """A warehouse no run has finished has no playbook: say so, and how to get one."""
    if not queries.read(conn, "playbook_present").item():
        raise ValuedataError(
            "analytics.playbook not in the warehouse: run `valuedata run` first (or pass --warehouse PATH)")


def _playbook_rows(conn: duckdb.DuckDBPyConnection, segment: str) -> pl.DataFrame:
    rows = queries.read(conn, "playbook_rows", segment=segment)
    if rows.is_empty():
        segments = queries.read(conn, "playbook_segments")["segment"].to_list()
        raise ValuedataError(f"unknown segment {segment!r}: the playbook has {', '.join(segments) or 'no segment yet'}")
    return rows


def _resolve_role(rows: pl.DataFrame, segment: str, role: str | None) -> str | None:
    """The role_id meant by `role` (a role_id or a title, any case); None for the whole segment."""
    if role is None:
        return None
    roles = rows.filter(kind="role").sort("role_rank")
    match = roles.filter((pl.col("role_id") == role) | (pl.col("text").str.to_lowercase() == role.lower()))
    if match.is_empty():
        valid = ", ".join(f"{r} ({t})" for r, t in roles.select("role_id", "text").iter_rows())
        raise ValuedataError(f"unknown role {role!r} in segment {segment!r}: its roles are {valid}")
    return match.item(0, "role_id")


def playbook_blocks(conn: duckdb.DuckDBPyConnection, segment: str, rows: pl.DataFrame,
                    role_id: str | None) -> tuple[str, list[Block]]:
    """The report title and blocks: summary, key players, objectives, one section per role, disagreements."""
    map_id = rows.item(0, "map_id")
    name, version = queries.read(conn, "value_maps").filter(map_id=map_id).select("name", "version").row(0)
    roles = rows.filter(kind="role").sort("role_rank")
    shown = roles if role_id is None else roles.filter(role_id=role_id)
    title = f"Sales playbook: {name}" + (f" — {shown.item(0, 'text')}" if role_id else "")
    blocks = [para(_summary(conn, segment, map_id, version, rows))]
    if role_id is None:
        blocks += brief_blocks(conn, rows, roles)
    blocks.append(para(HOW_TO_READ, lead="How to read the evidence."))
    if role_id is None:
        blocks += key_player_blocks(roles)
    context = _context(conn, map_id)
    for role in shown.iter_rows(named=True):
        blocks += role_blocks(role, rows.filter(role_id=role["role_id"]), rows, context, roles.height)
    blocks += disagreement_blocks(conn, segment, rows, role_id)
    return title, blocks


def _summary(conn: duckdb.DuckDBPyConnection, segment: str, map_id: str, version: str | None,
             rows: pl.DataFrame) -> str:
    closed, won = queries.read(conn, "closed_deals_won", segment=segment, all_segments=ALL_SEGMENTS).row(0)
    where = "All segments" if segment == ALL_SEGMENTS else f"Segment {segment}"
    deals = f"{closed:,} closed deals, {won / closed:.0%} won" if closed else "no closed deals yet"
    pooled = rows.item(0, "evidence_segment") != segment
    source = ("Evidence pooled from all segments: this segment has no adjusted model yet."
              if pooled else "Ranked by the evidence in these deals.")
    label = f"map {map_id}" + (f" (version {version})" if version else "")
    return f"{where} · {label} · {deals}. {source}"


def key_player_blocks(roles: pl.DataFrame) -> list[Block]:
    """'Who to meet': every role of the map, ranked by the evidence that engaging them wins."""
    body = [[str(r["rank"]), r["text"], "key player" if r["key_player"] else "—", r["evidence"], _flag(r)]
            for r in roles.iter_rows(named=True)]
    return [heading("Who to meet"), table(["#", "Role", "The map says", "Evidence", "⚠"], body, _tones(roles))]


def brief_blocks(conn: duckdb.DuckDBPyConnection, rows: pl.DataFrame, roles: pl.DataFrame) -> list[Block]:
    """The one-page brief: the key players to reach, their top issues, the questions and value propositions
    that carry wins — in the map's words — what to avoid, and whether reps differ (coaching)."""
    lookalike = pl.col("flag").str.contains(lookalikes.LOOKALIKE).fill_null(False)
    winning = roles.filter((pl.col("verdict") == WINS) & ~lookalike)
    reach = winning if not winning.is_empty() else roles.filter(pl.col("key_player").fill_null(False))
    blocks = [heading("The one-page brief"), para(
        "The key players whose meetings go with winning, in order of evidence, with what to raise with them."
        if not winning.is_empty() else
        "No key player has clear evidence of winning yet: these are the ones the map marks. Nothing below is "
        "proven by the deals yet.", lead="Take this into the meeting.")]
    for role in reach.head(BRIEF_ROLES).iter_rows(named=True):
        own = rows.filter(role_id=role["role_id"])
        lines = [f"Their top issues: {_brief_texts(own, 'issue', any_verdict=True)}",
                 f"Ask: {_brief_texts(own, 'question')}", f"Present: {_brief_texts(own, 'value_proposition')}"]
        blocks += [heading(f"Reach the {role['text']}", 3), bullets(lines)]
    left_out = roles.filter((pl.col("verdict") == WINS) & lookalike)
    if not left_out.is_empty():
        blocks.append(para("; ".join(f"{r['text']} ({r['flag']})" for r in left_out.iter_rows(named=True)) + ".",
                           lead="Left out although their deals win more:"))
    avoid = rows.filter((pl.col("kind") == "value_proposition") & (pl.col("verdict") == LOSES))
    if not avoid.is_empty():
        blocks.append(para("; ".join(f"“{t}”" for t in avoid["text"]) + " (goes with losing).",
                           lead="Do not lead with:"))
    verdict = coaching_verdict(conn)
    if verdict:
        blocks.append(para(verdict, lead="Coaching:"))
    return blocks


def _brief_texts(own: pl.DataFrame, kind: str, *, any_verdict: bool = False) -> str:
    """The role's top items of one kind in the map's words: those that go with winning (for issues, the top
    ranked when none does); 'nothing proven yet' when there are none."""
    items = own.filter(kind=kind).sort("rank")
    wins = items.filter(verdict=WINS)
    picked = wins if not wins.is_empty() or not any_verdict else items
    if picked.is_empty():
        return "nothing proven to go with winning yet"
    return "; ".join(f"“{t}”" for t in picked.head(BRIEF_ITEMS)["text"])


def _context(conn: duckdb.DuckDBPyConnection, map_id: str) -> pl.DataFrame:
    return queries.read(conn, "map_context", map_id=map_id)


def role_blocks(role: dict, own: pl.DataFrame, rows: pl.DataFrame, context: pl.DataFrame, roles: int) -> list[Block]:
    """One role's section: who they are, what they care about, questions, value propositions, issues."""
    issues = dict(rows.filter(kind="issue").select("item_id", "text").iter_rows())
    marks = "key player" if role["key_player"] else "not marked a key player"
    blocks = [
        heading(f"{role['role_rank']}. {role['text']}"),
        para(role["evidence"] + _flag_sentence(role), lead=f"Rank {role['role_rank']} of {roles} roles ({marks})."),
        para("★ = where our offer has impact.", lead="What they care about."),
        bullets(_cares_about(context.filter(role_id=role["role_id"]))),
    ]
    questions = own.filter(kind="question").sort("rank")
    if not questions.is_empty():
        blocks += [heading("Questions to ask", 3), numbered([
            (f"“{q['text']}”", _uncovers(q, issues) + q["evidence"] + _flag_sentence(q))
            for q in questions.iter_rows(named=True)
        ])]
    props = own.filter(kind="value_proposition").sort("rank")
    if not props.is_empty():
        body = [[str(v["rank"]), v["text"], _issue_texts(v, issues), v["evidence"], _flag(v)]
                for v in props.iter_rows(named=True)]
        blocks += [heading("Value propositions", 3),
                   table(["#", "Value proposition", "Addresses", "Evidence", "⚠"], body, _tones(props))]
    found = own.filter(kind="issue").sort("rank")
    if not found.is_empty():
        body = [[str(i["rank"]), i["text"] + _star(i["impact"]), i["evidence"], _flag(i)]
                for i in found.iter_rows(named=True)]
        blocks += [heading("Issues to listen for", 3), table(["#", "Issue", "Evidence", "⚠"], body, _tones(found))]
    return blocks


def _cares_about(context: pl.DataFrame) -> list[str]:
    """'Objectives: a ★; b', then metrics and strategies, from one role's map context."""
    lines = []
    for kind, label in CONTEXT_KINDS.items():
        items = context.filter(kind=kind).select("text", "impact").iter_rows()
        texts = [text + _star(impact) for text, impact in items]
        if texts:
            lines.append(f"{label}: {'; '.join(texts)}")
    return lines


def disagreement_blocks(conn: duckdb.DuckDBPyConnection, segment: str, rows: pl.DataFrame,
                        role_id: str | None) -> list[Block]:
    """Where the map and the deals disagree: unsupported impact, key-player marks, what the map may lack."""
    scope = rows if role_id is None else rows.filter(role_id=role_id)
    blocks = [heading("Where the map and the deals disagree")]
    unsupported = scope.filter(pl.col("flag").str.contains(IMPACT).fill_null(False))
    blocks += [heading("Impact the deals do not support", 3), para(
        "The map marks these issues as where we have impact, but neither raising them nor the value "
        "propositions that address them goes with winning." if not unsupported.is_empty()
        else "Every issue the map marks for impact is supported, or there is not enough data to judge.")]
    if not unsupported.is_empty():
        blocks.append(bullets([f"{u['text']} ({u['role_title']}): {_short(u)}"
                               for u in unsupported.iter_rows(named=True)]))
    blocks += _key_player_marks(scope)
    if role_id is None:
        blocks += [heading("What the map may lack", 3), *_unmapped_titles(conn, segment), *_unaddressed_issues(rows)]
    return blocks


def _key_player_marks(rows: pl.DataFrame) -> list[Block]:
    roles = rows.filter(kind="role")
    key, verdict = pl.col("key_player").fill_null(False), pl.col("verdict")
    wrong = roles.filter((key & (verdict == LOSES)) | (~key & (verdict == WINS)))
    lines = [
        f"{r['text']}: the map says {'key player' if r['key_player'] else 'not a key player'}, "
        f"but meeting them {'goes with losing' if r['key_player'] else 'goes with winning'}. {r['evidence']}"
        for r in wrong.iter_rows(named=True)
    ]
    agree = para("The deals agree with the map's key-player marks.")
    return [heading("Key-player marks", 3), bullets(lines) if lines else agree]


def _unmapped_titles(conn: duckdb.DuckDBPyConnection, segment: str) -> list[Block]:
    """Contact titles (from audit.unmapped_titles) met in this segment's won deals, most won deals first."""
    titles = queries.read(conn, "unmapped_titles_in_won_deals", segment=segment, all_segments=ALL_SEGMENTS,
                          min_won=UNMAPPED_MIN_WON, max_titles=UNMAPPED_TITLES_SHOWN)
    if titles.is_empty():
        return [para("No contact title outside the map turns up in won deals.")]
    body = [[t["title"], f"{t['deals']:,}", f"{t['won']:,}", f"{t['won'] / t['closed']:.0%}"]
            for t in titles.iter_rows(named=True)]
    return [para("Contact titles in won deals that match no role: add them to a role's title patterns, "
                 "or add the role if they matter."), table(["Contact title", "Deals", "Won", "Win rate"], body)]


def _unaddressed_issues(rows: pl.DataFrame) -> list[Block]:
    """Issues that come up in at least 5% of closed deals but that no value proposition addresses."""
    closed = rows.filter(kind="role").select(pl.col("deals_with") + pl.col("deals_without")).max().item() or 0
    issues = rows.filter(
        (pl.col("kind") == "issue") & (pl.col("related_ids").list.len().fill_null(0) == 0)
        & (pl.col("deals_with").fill_null(0) >= FREQUENT_ISSUE_SHARE * closed) & (pl.col("deals_with").fill_null(0) > 0)
    ).sort("deals_with", descending=True)
    if issues.is_empty():
        return [para("Every issue that comes up often is addressed by a value proposition.")]
    return [para("Issues that come up often but that no value proposition addresses:"),
            bullets([f"{i['text']} ({i['role_title']}): {_short(i)}" for i in issues.iter_rows(named=True)])]


def _short(row: dict) -> str:
    """'won 55% against 28% (n=593 / 1,243); adjusted odds x1.46, not clear' -- or why there is no comparison."""
    if not row["deals_with"] or not row["deals_without"]:
        return "no comparison possible yet"
    raw = (f"won {row['win_rate_with']:.0%} against {row['win_rate_without']:.0%} "
           f"(n={row['deals_with']:,} / {row['deals_without']:,})")
    notes = (f"; {row['notes_share']:.0%} of those deals known only from call notes"
             if row.get("notes_share") else "")
    if row["odds_ratio"] is None:
        return f"{raw}; too few deals for an adjusted estimate{notes}"
    return f"{raw}; adjusted odds x{row['odds_ratio']:.2f}, {'clear' if row['significant'] else 'not clear'}{notes}"


def _issue_texts(row: dict, issues: dict[str, str]) -> str:
    """The texts of the issues a value proposition addresses or a question uncovers."""
    return "; ".join(issues.get(i, i) for i in row["related_ids"] or [])


def _uncovers(question: dict, issues: dict[str, str]) -> str:
    return f"Uncovers: {_issue_texts(question, issues)}. " if question["related_ids"] else ""


def _star(impact: bool | None) -> str:
    return " ★" if impact else ""


def _flag(row: dict) -> str:
    return f"⚠ {row['flag']}" if row["flag"] else ""


def _flag_sentence(row: dict) -> str:
    return f" ⚠ {row['flag'].capitalize()}." if row["flag"] else ""


def _tones(rows: pl.DataFrame) -> list[str]:
    return [TONES.get(v, "") for v in rows.get_column("verdict").to_list()]


def to_markdown(title: str, blocks: list[Block]) -> str:
    """The blocks as Markdown; map and CRM text is escaped so it cannot inject markup."""
    out = [f"# {md(title)}"]
    for b in blocks:
        if b.kind == "heading":
            out.append(f"{'#' * b.level} {md(b.text)}")
        elif b.kind == "para":
            out.append((f"**{md(b.lead)}** " if b.lead else "") + md(b.text))
        elif b.kind == "bullets":
            out.append("\n".join(f"- {md(item)}" for item in b.items))
        elif b.kind == "numbered":
            out.append("\n".join(f"{n}. **{md(t)}** {md(d)}" for n, (t, d) in enumerate(b.items, start=1)))
        else:
            lines = [b.header, ["---"] * len(b.header), *b.items]
            out.append("\n".join("| " + " | ".join(md(c) for c in line) + " |" for line in lines))
    return "\n\n".join(out) + "\n"


MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|"} | {"\n": " ", "\r": " "})


def md(text: str) -> str:
    """Text with Markdown's special characters backslash-escaped and line breaks flattened."""
    return text.translate(MD_SPECIAL)


HTML_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{ title }}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d232a; margin: 0;
       background: #f6f7f9; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 .4em; }
h2 { font-size: 1.25em; margin: 1.8em 0 .5em; padding-bottom: .2em; border-bottom: 2px solid #e3e6ea; }
h3 { font-size: 1.05em; margin: 1.3em 0 .4em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 1em; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #e3e6ea; }
th { background: #f0f2f5; font-weight: 600; }
tr.win td:first-child { border-left: 4px solid #1b7f3b; }
tr.lose td:first-child { border-left: 4px solid #c0392b; }
tr.lose { background: #fdf1ef; }
tr.unclear td:first-child { border-left: 4px solid #d5d9de; }
tr.nodata td:first-child { border-left: 4px dotted #c5c9cf; }
tr.nodata { color: #5b6570; }
ol li { margin-bottom: .6em; }
.lead { font-weight: 600; }
nav.back { margin: 0 0 12px; font-size: .9em; } nav.back a { color: #1f5f99; }
@media print { nav.back { display: none; } h2:nth-of-type(2) { break-before: page; } }  /* the brief: one page */
@media print { body { background: #fff; } main { padding: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
</style>
</head>
<body>
<main>
{%- if back %}
<nav class="back"><a href="{{ back }}">← All playbooks</a> · <a href="index.html">Dashboards</a></nav>
{%- endif %}
<h1>{{ title }}</h1>
{% for b in blocks %}
{%- if b.kind == "heading" %}
<h{{ b.level }}>{{ b.text }}</h{{ b.level }}>
{%- elif b.kind == "para" %}
<p>{% if b.lead %}<span class="lead">{{ b.lead }}</span> {% endif %}{{ b.text }}</p>
{%- elif b.kind == "bullets" %}
<ul>{% for item in b.items %}<li>{{ item }}</li>{% endfor %}</ul>
{%- elif b.kind == "numbered" %}
<ol>{% for t, d in b.items %}<li><strong>{{ t }}</strong><br>{{ d }}</li>{% endfor %}</ol>
{%- else %}
<table><thead><tr>{% for h in b.header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in b.items %}<tr class="{{ b.tones[loop.index0] }}">
{%- for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
{%- endif %}
{% endfor %}
</main>
</body>
</html>
"""
_HTML = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(HTML_TEMPLATE)


def to_html(title: str, blocks: list[Block], back: str | None = None) -> str:
    """The blocks as one self-contained HTML page; every piece of text is escaped by Jinja's autoescape.

    `back`: the page a link at the top leads back to (the dashboards' playbooks index), or none."""
    return _HTML.render(title=title, blocks=blocks, back=back)
