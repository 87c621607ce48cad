"""HubSpot CRM index-page exports (deals, companies, contacts, calls, meetings, emails) → native tables."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import Field

from valuedata.errors import Problem
from valuedata.sources import native
from valuedata.sources.config import CrmConfig, Strict, Tags, read_configured_export
from valuedata.sources.csvread import ExportFile, encoding_notes, find, header_problem, read_export
from valuedata.sources.exprs import channel, first_id, first_of, id_list, iso_date, relabel, slug

CONFIG = "hubspot.yaml"
DEFAULT_ATTRIBUTES = {"deal_type": "Deal Type", "pipeline": "Pipeline", "original_source": "Original Source Type"}
COMPANY_IDS = ["Associated Company IDs (Primary)", "Associated Company IDs"]
ACTIVITY = ["Record ID", "Activity date", "Associated Deal IDs"]
REQUIRED = {
    "deals": ["Record ID", "Deal Stage", "Create Date", "Close Date", "Deal owner"],
    "companies": ["Record ID"],
    "contacts": ["Record ID", "Job Title"],
    "calls": ACTIVITY, "meetings": ACTIVITY, "emails": ACTIVITY,
}
CHANNEL = {"calls": "call", "meetings": "meeting", "emails": "email"}
NOTES = {"calls": ["Call notes", "Call Title"], "meetings": ["Meeting description", "Meeting name"],
         "emails": ["Email subject"]}
TYPE_COLUMNS = ["Call and meeting type", "Meeting type", "Activity type"]


class Files(Strict):
    """File name (or glob, any case) of each export in the input folder."""

    deals: str = "*deal*.csv"
    companies: str = "*compan*.csv"
    contacts: str = "*contact*.csv"
    calls: str = "*call*.csv"
    meetings: str = "*meeting*.csv"
    emails: str = "*email*.csv"


class HubSpotConfig(CrmConfig):
    """hubspot.yaml: optional settings beside a HubSpot export."""

    files: Files = Field(default_factory=Files)
    segment: str = "Company.Industry"
    won_stages: list[str] = Field(default_factory=lambda: ["closedwon"])
    lost_stages: list[str] = Field(default_factory=lambda: ["closedlost"])
    pipelines: list[str] | None = None
    date_format: str | None = None
    tags: Tags = Tags(value_propositions="Value Propositions", issues="Issues", questions="Questions")


def convert(input_dir: Path) -> native.Converted:
    """Read the export in `input_dir`; raise InputError listing every problem."""
    config, exports = read_configured_export(input_dir, CONFIG, HubSpotConfig, _read_all, _config_problems)
    return _convert(exports, config)


def _read_all(input_dir: Path, config: HubSpotConfig) -> tuple[dict[str, ExportFile], list[Problem]]:
    """Every export present, and problems for missing, ambiguous or unreadable ones."""
    exports: dict[str, ExportFile] = {}
    problems: list[Problem] = []
    for kind, pattern in config.files.model_dump().items():
        found = find(input_dir, pattern)
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            problems.append(Problem(pattern, "file", f"matches several files ({names})",
                                    f"keep one export per object, or set `files.{kind}` in {CONFIG}"))
            continue
        if not found:
            if kind == "deals":
                problems.append(Problem(pattern, "file", f"no deals export in {input_dir}",
                                        f"export deals from HubSpot as CSV, or set `files.deals` in {CONFIG}"))
            continue
        export, file_problems = read_export(found[0], found[0].name, ",", config.encoding)
        problems += file_problems
        if export is not None:
            missing = export.missing(REQUIRED[kind])
            if missing:
                problems.append(header_problem(export, missing, "export all properties, with associations"))
            exports[kind] = export
    return exports, problems


def _config_problems(exports: dict[str, ExportFile], config: HubSpotConfig) -> list[Problem]:
    """Segment and attribute properties that the export lacks."""
    deals = exports.get("deals")
    if deals is None:
        return []
    obj, prop = config.segment_field()
    problems = []
    if obj == "company":
        companies = exports.get("companies")
        if companies is None:
            problems.append(Problem(config.files.companies, "file",
                                    f"no companies export, and the segment comes from {config.segment}",
                                    "export companies too, or set `segment: Deal.<property>`"))
        elif not companies.has(prop):
            problems.append(header_problem(companies, [prop], f"export the property, or change `segment` in {CONFIG}"))
        if not any(deals.has(c) for c in COMPANY_IDS):
            problems.append(header_problem(deals, [COMPANY_IDS[-1]], "export deals with their associations"))
    elif obj != "deal":
        problems.append(Problem(CONFIG, "segment", f"'{config.segment}' is not Company.<property> or Deal.<property>",
                                "write e.g. `segment: Company.Industry`"))
    elif not deals.has(prop):
        problems.append(header_problem(deals, [prop], f"export the property, or change `segment` in {CONFIG}"))
    if config.attributes:
        missing = deals.missing(list(config.attributes.values()))
        if missing:
            problems.append(header_problem(deals, missing, f"export them, or remove them from `attributes` in "
                                                           f"{CONFIG}"))
    return problems


def _convert(exports: dict[str, ExportFile], config: HubSpotConfig) -> native.Converted:
    """The native tables, audit rows and notes of a readable export."""
    deals_file = exports["deals"]
    reason = pl.lit(None, pl.Utf8)
    if config.pipelines is not None and deals_file.has("Pipeline"):
        chosen = [p.lower() for p in config.pipelines]
        reason = pl.when(~pl.col("pipeline").str.to_lowercase().is_in(chosen)).then(pl.lit("pipeline not selected"))
    kept, deal_audit = native.split_ignored(deals_file, reason)
    deals, reps, notes = _deals(kept, exports.get("companies"), config)
    engagements, audit = _engagements(exports, config)
    notes += [note for kind in CHANNEL if kind in exports for note in config.field_notes(exports[kind], CONFIG)]
    audit = [deal_audit, *audit,
             native.lookup_audit(exports.get("companies"), "record id", deals.get_column("account_id")),
             native.lookup_audit(exports.get("contacts"), "record id", engagements.get_column("contact_id"))]
    notes += encoding_notes(list(exports.values()))
    return native.Converted(deals, reps, engagements, [a for a in audit if a], notes)


def _deals(kept: pl.DataFrame, companies: ExportFile | None, config: HubSpotConfig,
           ) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """deals and reps (one per distinct 'Deal owner' name), with notes."""
    frame = kept.with_columns(first_id(first_of(kept.columns, COMPANY_IDS)).alias("account_id"))
    if companies is not None:
        lookup = native.prefixed(companies.frame, "company").unique("company.record id", keep="first")
        frame = frame.join(lookup, left_on="account_id", right_on="company.record id", how="left")
    obj, prop = config.segment_field()
    stage = pl.col("deal stage").str.to_lowercase().str.replace_all(r"[\s_-]+", "")
    attributes = config.attributes if config.attributes is not None else {
        k: v for k, v in DEFAULT_ATTRIBUTES.items() if v.lower() in kept.columns}
    won, lost = ([_stage_key(s) for s in stages] for stages in (config.won_stages, config.lost_stages))
    outcome = pl.when(stage.is_in(won)).then(pl.lit("won")).when(stage.is_in(lost)).then(pl.lit("lost"))
    frame = frame.with_columns(
        deal_id=pl.col("record id"),
        account_name=pl.coalesce(first_of(frame.columns, ["company.company name"]),
                                 first_id(first_of(frame.columns, ["Associated Company"]))),
        segment=relabel(pl.col(f"company.{prop}" if obj == "company" else prop), config.segment_values),
        owner=pl.col("deal owner"),
        rep_id=slug(pl.col("deal owner")),
        amount=first_of(frame.columns, ["Amount"]),
        currency=pl.coalesce(first_of(frame.columns, ["Currency"]), pl.lit(config.currency, pl.Utf8)),
        created_at=iso_date(pl.col("create date"), config.date_format),
        closed_at=iso_date(pl.col("close date"), config.date_format),
        outcome=outcome.otherwise(pl.lit("open")),
        **{name: pl.col(source.lower()) for name, source in attributes.items()},
    )
    notes = [f"reps were made from {frame.get_column('rep_id').n_unique()} distinct 'Deal owner' names "
             "(id = the name in lower case with dashes); HubSpot exports no team, manager or region"]
    notes += native.open_deal_note(frame)
    reps = native.synthesised_reps(frame, pl.col("owner"))
    deals = native.table(native.close_open_deals(frame), "deals", tuple(attributes))
    return deals, reps, notes


def _stage_key(stage: str) -> str:
    """A stage label or internal value compared without case, spaces, dashes or underscores."""
    return "".join(ch for ch in stage.lower() if ch not in " _-")


def _engagements(exports: dict[str, ExportFile], config: HubSpotConfig) -> tuple[pl.DataFrame, list[dict]]:
    """One engagement per (activity, associated deal, associated contact); audit rows."""
    contacts = exports.get("contacts")
    titles = None if contacts is None else contacts.frame.select(
        pl.col("record id").alias("contact.id"), pl.col("job title").alias("contact_title")).unique(
        "contact.id", keep="first")
    frames, audit = [], []
    for kind in CHANNEL:
        export = exports.get(kind)
        if export is None:
            continue
        deal_ids = id_list(pl.col("associated deal ids"))
        kept, row = native.split_ignored(export, pl.when(deal_ids.is_null()).then(pl.lit("no associated deal")))
        audit.append(row)
        frames.append(_activities(kept, kind, titles, config))
    return (pl.concat(frames) if frames else native.empty("engagements")), audit


def _activities(kept: pl.DataFrame, kind: str, titles: pl.DataFrame | None, config: HubSpotConfig) -> pl.DataFrame:
    """One activity file's rows exploded over their deals and contacts."""
    cols = kept.columns
    frame = kept.with_columns(
        deal_id=id_list(pl.col("associated deal ids")).str.split(";"),
        contact_id=id_list(first_of(cols, ["Associated Contact IDs"])).str.split(";"),
    ).with_columns(deals=pl.col("deal_id").list.len(), contacts=pl.col("contact_id").list.len().fill_null(0))
    frame = frame.explode("deal_id").explode("contact_id")
    if titles is not None:
        frame = frame.join(titles, left_on="contact_id", right_on="contact.id", how="left")
    frame = frame.with_columns(
        engagement_id=pl.concat_str([pl.col("record id"), _suffix("deals", "deal_id"),
                                     _suffix("contacts", "contact_id")], ignore_nulls=True),
        occurred_at=iso_date(first_of(cols, ["Activity date", "Meeting start time", "Create date"]),
                             config.date_format),
        channel=channel(first_of(cols, TYPE_COLUMNS), CHANNEL[kind]),
        notes=first_of(cols, NOTES[kind]),
        **config.activity_columns(cols),
    )
    return native.table(frame, "engagements")


def _suffix(count: str, column: str) -> pl.Expr:
    """`-<value>` when the activity is on more than one deal (or contact), so ids stay unique."""
    return pl.when(pl.col(count) > 1).then(pl.lit("-") + pl.col(column))
