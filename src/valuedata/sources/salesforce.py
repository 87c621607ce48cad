"""Salesforce Data Export (Setup → Data Export) CSVs → native tables."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import Field

from valuedata.errors import Problem
from valuedata.sources import native
from valuedata.sources.config import CrmConfig, Strict, Tags, read_configured_export
from valuedata.sources.csvread import ExportFile, encoding_notes, find, header_problem, read_export
from valuedata.sources.exprs import channel, first_of, iso_date, relabel, truthy

CONFIG = "salesforce.yaml"
OPPORTUNITY_PREFIX = "006"
DEFAULT_ATTRIBUTES = {"lead_source": "LeadSource", "opportunity_type": "Type"}
# object -> (file, required, columns the file must have)
FILES = {
    "opportunity": ("Opportunity.csv", True, ["Id", "AccountId", "OwnerId", "CreatedDate", "CloseDate",
                                              "IsClosed", "IsWon"]),
    "user": ("User.csv", True, ["Id"]),
    "account": ("Account.csv", False, ["Id"]),
    "contact": ("Contact.csv", False, ["Id", "Title"]),
    "contactrole": ("OpportunityContactRole.csv", False, ["Id"]),
    "task": ("Task.csv", False, ["Id", "WhatId"]),
    "event": ("Event.csv", False, ["Id", "WhatId"]),
}
WHEN = {"task": ["ActivityDate", "CompletedDateTime", "CreatedDate"],
        "event": ["ActivityDateTime", "StartDateTime", "ActivityDate", "CreatedDate"]}
CONTACT_ROLES_NOTE = ("OpportunityContactRole.csv is not used: a contact role says who is on a deal, not that the "
                      "rep engaged them; only Tasks and Events are engagements")


class RepFields(Strict):
    """User fields that fill reps.csv columns; the first non-empty one wins."""

    team: list[str] = Field(default_factory=lambda: ["Department", "Division"])
    region: list[str] = Field(default_factory=list)
    hired_at: list[str] = Field(default_factory=list)


class SalesforceConfig(CrmConfig):
    """salesforce.yaml: optional settings beside a Salesforce export."""

    segment: str = "Account.Industry"
    tags: Tags = Tags(value_propositions="Value_Propositions__c", issues="Issues__c", questions="Questions__c")
    reps: RepFields = Field(default_factory=RepFields)


def convert(input_dir: Path) -> native.Converted:
    """Read the export in `input_dir`; raise InputError listing every problem."""
    config, exports = read_configured_export(input_dir, CONFIG, SalesforceConfig, _read_all, _config_problems)
    return _convert(exports, config)


def _read_all(input_dir: Path, config: SalesforceConfig) -> tuple[dict[str, ExportFile], list[Problem]]:
    """Every export file present, and the problems of missing or unreadable ones."""
    exports: dict[str, ExportFile] = {}
    problems: list[Problem] = []
    for obj, (name, required, columns) in FILES.items():
        found = find(input_dir, name)
        if not found:
            if required:
                problems.append(Problem(name, "file", f"is missing from {input_dir}",
                                        f"include the {name[:-4]} object in the Data Export"))
            continue
        export, file_problems = read_export(found[0], found[0].name, ",", config.encoding)
        problems += file_problems
        if export is None:
            continue
        missing = export.missing(columns)
        if missing:
            problems.append(header_problem(export, missing, "export the object with all its fields"))
        exports[obj] = export
    return exports, problems


def _config_problems(exports: dict[str, ExportFile], config: SalesforceConfig) -> list[Problem]:
    """Fields named in salesforce.yaml that the export lacks."""
    problems = []
    obj, field = config.segment_field()
    target = exports.get(obj)
    if obj not in ("account", "opportunity"):
        problems.append(Problem(CONFIG, "segment", f"'{config.segment}' is not Account.<field> or "
                                "Opportunity.<field>", "write e.g. `segment: Account.Industry`"))
    elif target is None and "opportunity" in exports:
        problems.append(Problem(FILES[obj][0], "file", f"is missing, and the segment comes from {config.segment}",
                                "include Account in the Data Export, or set `segment: Opportunity.<field>`"))
    elif target is not None and not target.has(field):
        problems.append(header_problem(target, [field], f"export the field, or change `segment` in {CONFIG}"))
    opportunity = exports.get("opportunity")
    if opportunity is not None and config.attributes:
        missing = opportunity.missing(list(config.attributes.values()))
        if missing:
            problems.append(header_problem(opportunity, missing, f"export the field(s) or remove them from "
                                                                 f"`attributes` in {CONFIG}"))
    return problems


def _convert(exports: dict[str, ExportFile], config: SalesforceConfig) -> native.Converted:
    """The native tables, audit rows and notes of a readable export."""
    opportunity = exports["opportunity"]
    opps, opp_audit = native.split_ignored(opportunity, _deleted(opportunity))
    deleted = opportunity.frame.filter(_is_deleted(opportunity)).get_column("id")
    engagements, activity_audit, notes = _engagements(exports, deleted, config)
    contact_audit = _lookup(exports.get("contact"), engagements.get_column("contact_id"))
    deals, deal_notes = _deals(opps, exports.get("account"), config)
    notes += deal_notes
    account_audit = _lookup(exports.get("account"), opps.get_column("accountid"))
    reps, user_audit = _reps(exports["user"], opps.get_column("ownerid"), config)
    audit = [opp_audit, user_audit, account_audit, contact_audit, _contact_roles(exports), *activity_audit]
    if "contactrole" in exports:
        notes.append(CONTACT_ROLES_NOTE)
    notes += encoding_notes(list(exports.values()))
    return native.Converted(deals, reps, engagements, [a for a in audit if a], notes)


def _deals(opps: pl.DataFrame, accounts: ExportFile | None, config: SalesforceConfig,
           ) -> tuple[pl.DataFrame, list[str]]:
    """deals.csv from Opportunity rows, with Account name and segment."""
    frame = opps
    if accounts is not None:
        live = accounts.frame.filter(~_is_deleted(accounts))
        lookup = native.prefixed(live, "account").unique("account.id", keep="first")
        frame = frame.join(lookup, left_on="accountid", right_on="account.id", how="left")
    obj, field = config.segment_field()
    closed, won = truthy(pl.col("isclosed")), truthy(pl.col("iswon"))
    attributes = config.attributes if config.attributes is not None else {
        k: v for k, v in DEFAULT_ATTRIBUTES.items() if v.lower() in opps.columns}
    deals = frame.with_columns(
        deal_id=pl.col("id"),
        account_id=pl.col("accountid"),
        account_name=first_of(frame.columns, ["account.name"]),
        segment=relabel(pl.col(field if obj == "opportunity" else f"account.{field}"), config.segment_values),
        rep_id=pl.col("ownerid"),
        amount=first_of(frame.columns, ["Amount"]),
        currency=pl.coalesce(first_of(frame.columns, ["CurrencyIsoCode"]), pl.lit(config.currency, pl.Utf8)),
        created_at=iso_date(pl.col("createddate")),
        closed_at=iso_date(pl.col("closedate")),
        outcome=pl.when(closed & won).then(pl.lit("won")).when(closed).then(pl.lit("lost")).otherwise(pl.lit("open")),
        **{name: pl.col(source.lower()) for name, source in attributes.items()},
    )
    return native.table(native.close_open_deals(deals), "deals", tuple(attributes)), native.open_deal_note(deals)


def _reps(users: ExportFile, owners: pl.Series, config: SalesforceConfig) -> tuple[pl.DataFrame, dict]:
    """reps.csv from the User rows that own opportunities; managers named by their User.Name."""
    name = pl.coalesce(first_of(users.frame.columns, ["Name"]),
                       pl.concat_str([first_of(users.frame.columns, ["FirstName"]),
                                      first_of(users.frame.columns, ["LastName"])], separator=" ", ignore_nulls=True
                                     ).replace("", None))
    frame = users.frame.with_columns(name.alias("name"))
    reason = (pl.when(_is_deleted(users)).then(pl.lit("IsDeleted=true"))
              .when(~pl.col("id").is_in(owners.implode())).then(pl.lit("owns no opportunity")))
    kept, audit = native.split_ignored(users, reason, frame)
    managers = frame.select(pl.col("id").alias("manager.id"), pl.col("name").alias("manager.name")).unique(
        "manager.id", keep="first")
    manager_id = first_of(frame.columns, ["ManagerId"])
    reps = kept.with_columns(manager_id.alias("manager.key")).join(
        managers, left_on="manager.key", right_on="manager.id", how="left").with_columns(
        rep_id=pl.col("id"),
        team=first_of(kept.columns, config.reps.team),
        manager=pl.coalesce(pl.col("manager.name"), pl.col("manager.key")),
        region=first_of(kept.columns, config.reps.region),
        hired_at=iso_date(first_of(kept.columns, config.reps.hired_at)),
    )
    return native.table(reps, "reps"), audit


def _engagements(exports: dict[str, ExportFile], deleted: pl.Series, config: SalesforceConfig,
                 ) -> tuple[pl.DataFrame, list[dict], list[str]]:
    """engagements.csv from Tasks and Events on opportunities; their audit rows and notes."""
    contacts = exports.get("contact")
    titles = None if contacts is None else contacts.frame.filter(~_is_deleted(contacts)).select(
        pl.col("id").alias("contact.id"), pl.col("title").alias("contact_title")).unique("contact.id", keep="first")
    frames, audit, notes = [], [], []
    for kind in ("task", "event"):
        export = exports.get(kind)
        if export is None:
            continue
        what = pl.col("whatid")
        reason = (pl.when(_is_deleted(export)).then(pl.lit("IsDeleted=true"))
                  .when(what.is_null()).then(pl.lit("no WhatId (not on a deal)"))
                  .when(~what.str.starts_with(OPPORTUNITY_PREFIX)).then(pl.lit("WhatId not an opportunity"))
                  .when(what.is_in(deleted.implode())).then(pl.lit("WhatId is a deleted opportunity")))
        kept, row = native.split_ignored(export, reason)
        audit.append(row)
        frames.append(_activity(kept, kind, titles, config))
        notes += config.field_notes(export, CONFIG)
    if frames and titles is None:
        notes.append("no Contact.csv: engagements have no contact titles, so their roles cannot be resolved "
                     "(add Contact to the export, or set `role_field`)")
    engagements = pl.concat(frames) if frames else native.empty("engagements")
    return engagements, audit, notes


def _activity(kept: pl.DataFrame, kind: str, titles: pl.DataFrame | None, config: SalesforceConfig) -> pl.DataFrame:
    """One Task or Event file's rows as engagements."""
    cols = kept.columns
    frame = kept.with_columns(contact_id=first_of(cols, ["WhoId"]))
    if titles is not None:
        frame = frame.join(titles, left_on="contact_id", right_on="contact.id", how="left")
    types = pl.concat_str([first_of(cols, ["Type"]), first_of(cols, [f"{kind}Subtype"])],
                          separator=" ", ignore_nulls=True)
    frame = frame.with_columns(
        engagement_id=pl.col("id"),
        deal_id=pl.col("whatid"),
        occurred_at=iso_date(first_of(cols, WHEN[kind])),
        channel=channel(types, "other" if kind == "task" else "meeting"),
        notes=first_of(cols, ["Description", "Subject"]),
        **config.activity_columns(cols),
    )
    return native.table(frame, "engagements")


def _lookup(export: ExportFile | None, used: pl.Series) -> dict | None:
    """Audit of Account or Contact: converted when a converted row refers to it."""
    return None if export is None else native.lookup_audit(export, "id", used, _is_deleted(export))


def _contact_roles(exports: dict[str, ExportFile]) -> dict | None:
    """OpportunityContactRole rows are read and reported, never converted."""
    export = exports.get("contactrole")
    if export is None:
        return None
    reason = pl.when(_is_deleted(export)).then(pl.lit("IsDeleted=true")).otherwise(
        pl.lit("contact roles are not engagements"))
    return native.split_ignored(export, reason)[1]


def _is_deleted(export: ExportFile) -> pl.Expr:
    """IsDeleted is true (false when the export has no IsDeleted column)."""
    return truthy(pl.col("isdeleted")) if export.has("IsDeleted") else pl.lit(False)


def _deleted(export: ExportFile) -> pl.Expr:
    """The ignore reason of deleted rows."""
    return pl.when(_is_deleted(export)).then(pl.lit("IsDeleted=true"))
