"""Salesforce Data Export → native tables: a rendered export round-trips, and the real sample's traps."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from valuedata.errors import InputError
from valuedata.sources import prepare_input

SAMPLE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"
INDUSTRY = {"discrete-manufacturing": "Manufacturing", "retail": "Retail"}
MANAGERS = {"Priya Raman": "0058d00000Mgr01AAA", "Tom Okafor": "0058d00000Mgr02AAA"}


def native_dataset() -> dict[str, pl.DataFrame]:
    """A small dataset in native form, with Salesforce-shaped ids."""
    reps = pl.DataFrame({
        "rep_id": ["0058d00000Rep01AAA", "0058d00000Rep02AAA", "0058d00000Rep03AAA"],
        "name": ["Dana Whitfield", "Óscar Ibáñez", "Lee Chen"],
        "team": ["Enterprise", "Enterprise", "Mid-market"],
        "manager": ["Priya Raman", "Priya Raman", "Tom Okafor"],
        "region": ["Germany", "Spain", "United States"],
    })
    deals = pl.DataFrame({
        "deal_id": [f"0068d00000Opp{i:02d}AAA" for i in range(1, 7)],
        "account_id": ["0018d00000Acc01AAA", "0018d00000Acc02AAA", "0018d00000Acc01AAA",
                       "0018d00000Acc03AAA", "0018d00000Acc02AAA", "0018d00000Acc03AAA"],
        "account_name": ["Acme Industrial GmbH", "Borealis Foods Oy", "Acme Industrial GmbH",
                         "Corvid Retail Inc.", "Borealis Foods Oy", "Corvid Retail Inc."],
        "segment": ["discrete-manufacturing", "discrete-manufacturing", "discrete-manufacturing",
                    "retail", "discrete-manufacturing", "retail"],
        "rep_id": ["0058d00000Rep01AAA", "0058d00000Rep02AAA", "0058d00000Rep01AAA",
                   "0058d00000Rep03AAA", "0058d00000Rep02AAA", "0058d00000Rep03AAA"],
        "amount": ["125000.00", "48000.00", "210000.00", "30500.00", "9900.00", "15000.00"],
        "currency": ["EUR", "EUR", "EUR", "USD", "EUR", "USD"],
        "created_at": ["2025-03-04", "2025-02-11", "2025-09-01", "2025-06-10", "2025-01-20", "2025-10-01"],
        "closed_at": ["2025-06-30", "2025-05-16", None, "2025-08-29", "2025-04-02", None],
        "outcome": ["won", "lost", "open", "won", "lost", "open"],
        "lead_source": ["Trade Show", "Web", "Partner Referral", "Web", None, "Web"],
    })
    engagements = pl.DataFrame({
        "engagement_id": ["00T8d00000Tsk01AAA", "00T8d00000Tsk02AAA", "00U8d00000Evt01AAA",
                          "00U8d00000Evt02AAA", "00T8d00000Tsk03AAA", "00U8d00000Evt03AAA"],
        "deal_id": ["0068d00000Opp01AAA", "0068d00000Opp01AAA", "0068d00000Opp02AAA",
                    "0068d00000Opp03AAA", "0068d00000Opp05AAA", "0068d00000Opp04AAA"],
        "occurred_at": ["2025-03-10", "2025-03-18", "2025-03-12", "2025-09-15", "2025-02-01", "2025-07-01"],
        "contact_id": ["0038d00000Con01AAA", "0038d00000Con02AAA", "0038d00000Con03AAA",
                       "0038d00000Con01AAA", None, "0038d00000Con04AAA"],
        "contact_title": ["Plant Manager", "Maintenance Lead", "VP Operations", "Plant Manager", None,
                          "Store Operations Director"],
        "channel": ["call", "email", "demo", "meeting", "call", "meeting"],
        "value_propositions": ["vp_yield", "vp_common_spares", "vp_yield;vp_common_spares", "vp_yield", None, None],
        "issues": ["unplanned_downtime", "spare_parts;unplanned_downtime", "unplanned_downtime", None, None, None],
        "questions": ["q_downtime_cost", "q_spares", None, "q_downtime_cost", "q_spares", None],
        "notes": ["Walked through downtime costs.", "Mia asked about spares.\nSent the kit list.", "Line B demo",
                  "Expansion workshop", "Cold call", "Store walk-through"],
    })
    return {"deals": deals, "reps": reps, "engagements": engagements}


def render_salesforce(data: dict[str, pl.DataFrame], folder: Path) -> None:
    """Write `data` as a Salesforce Data Export, with the traps a real one has."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SAMPLE / "maps", folder / "maps")
    (folder / "salesforce.yaml").write_text(
        "segment_values: {Manufacturing: discrete-manufacturing, Retail: retail}\n"
        "attributes: {lead_source: LeadSource}\nreps: {region: [Country]}\n", encoding="utf-8")
    deals, reps, engagements = data["deals"], data["reps"], data["engagements"]
    closed = pl.col("outcome") != "open"
    opportunities = deals.select(
        Id="deal_id", IsDeleted=pl.lit("false"), AccountId="account_id", Name=pl.lit("Retrofit"),
        StageName=pl.col("outcome").replace_strict({"won": "Closed Won", "lost": "Closed Lost", "open": "Proposal"}),
        Amount="amount", Probability=pl.lit("50"), CloseDate=pl.coalesce("closed_at", pl.lit("2026-03-31")),
        LeadSource="lead_source", IsClosed=closed.cast(pl.Utf8), IsWon=(pl.col("outcome") == "won").cast(pl.Utf8),
        CurrencyIsoCode="currency", OwnerId="rep_id", CreatedDate=pl.col("created_at") + "T09:15:31.000Z",
    )
    deleted = opportunities.head(1).with_columns(Id=pl.lit("0068d00000Del01AAA"), IsDeleted=pl.lit("true"))
    _csv(pl.concat([opportunities, deleted]), folder / "Opportunity.csv")
    accounts = deals.unique("account_id", maintain_order=True).select(
        Id="account_id", IsDeleted=pl.lit("false"), Name="account_name",
        Industry=pl.col("segment").replace_strict(INDUSTRY))
    _csv(accounts, folder / "Account.csv")
    managers = pl.DataFrame({"Name": list(MANAGERS), "Id": list(MANAGERS.values())})
    users = reps.select(Id="rep_id", Name="name", Department="team", Country="region",
                        ManagerId=pl.col("manager").replace_strict(MANAGERS))
    _csv(pl.concat([users, managers], how="diagonal"), folder / "User.csv")
    contacts = engagements.filter(pl.col("contact_id").is_not_null()).unique("contact_id", maintain_order=True)
    _csv(contacts.select(Id="contact_id", IsDeleted=pl.lit("false"), Title="contact_title"), folder / "Contact.csv")
    activity = engagements.select(
        Id="engagement_id", IsDeleted=pl.lit("false"), WhoId="contact_id", WhatId="deal_id",
        Subject=pl.lit("Activity"), Description="notes", Type=pl.col("channel").str.to_titlecase(),
        Value_Propositions__c="value_propositions", Issues__c="issues", Questions__c="questions",
        channel="channel", occurred_at="occurred_at")
    tasks = activity.filter(pl.col("channel").is_in(["call", "email"])).with_columns(
        ActivityDate="occurred_at", TaskSubtype=pl.col("Type"))
    noise = tasks.head(2).with_columns(Id=pl.Series(["00T8d00000Acc99AAA", "00T8d00000Del99AAA"]),
                                       WhatId=pl.Series(["0018d00000Acc01AAA", "0068d00000Opp01AAA"]),
                                       IsDeleted=pl.Series(["false", "true"]))
    _csv(pl.concat([tasks, noise]).drop("channel", "occurred_at").rename(str.upper), folder / "Task.csv")
    events = activity.filter(pl.col("channel").is_in(["meeting", "demo"])).with_columns(
        ActivityDateTime=pl.col("occurred_at") + "T14:00:00.000Z", EventSubtype=pl.lit("Event"))
    _csv(events.drop("channel", "occurred_at"), folder / "Event.csv")


def _csv(frame: pl.DataFrame, path: Path) -> None:
    """Every field quoted, like the Data Export."""
    frame.write_csv(path, quote_style="always")


def _without_lineage(frame: pl.DataFrame, like: pl.DataFrame, key: str) -> pl.DataFrame:
    """The converted frame's columns that the native frame has, sorted by key; other columns must be empty."""
    extra = [c for c in frame.columns if c not in like.columns and not c.startswith("_")]
    assert all(frame[c].is_null().all() for c in extra), extra
    return frame.select(like.columns).sort(key)


def test_rendered_export_converts_back_to_the_native_dataset(tmp_path: Path) -> None:
    data = native_dataset()
    render_salesforce(data, tmp_path / "export")
    prepared = prepare_input(tmp_path / "export", "salesforce", tmp_path / "work")
    for name, key in (("deals", "deal_id"), ("reps", "rep_id"), ("engagements", "engagement_id")):
        converted = pl.read_parquet(prepared.dir / f"{name}.parquet")
        assert all(dtype == pl.Utf8 for dtype in converted.dtypes)
        assert_frame_equal(_without_lineage(converted, data[name], key), data[name].sort(key))
    audit = {row["file"]: row for row in prepared.source_audit.iter_rows(named=True)}
    assert audit["Opportunity.csv"]["ignored_reason"] == "IsDeleted=true: 1"
    assert audit["User.csv"]["ignored_reason"] == "owns no opportunity: 2"
    assert audit["Task.csv"]["rows_ignored"] == 2


def test_sample_export_traps(tmp_path: Path) -> None:
    prepared = prepare_input(SAMPLE, "salesforce", tmp_path)
    deals = pl.read_parquet(prepared.dir / "deals.parquet")
    engagements = pl.read_parquet(prepared.dir / "engagements.parquet")
    reps = pl.read_parquet(prepared.dir / "reps.parquet")
    assert "0068d00000Opp04AAA" not in deals["deal_id"].to_list()  # IsDeleted
    open_deal = deals.filter(pl.col("deal_id") == "0068d00000Opp03AAA").row(0, named=True)
    assert (open_deal["outcome"], open_deal["closed_at"]) == ("open", None)  # CloseDate is only expected
    first = deals.filter(pl.col("deal_id") == "0068d00000Opp01AAA").row(0, named=True)
    assert (first["created_at"], first["segment"], first["currency"]) == ("2025-03-04", "discrete-manufacturing", "EUR")
    assert first["lead_source"] == "Trade Show" and "stagename" not in deals.columns
    assert "00T8d00000Tsk03AAA" not in engagements["engagement_id"].to_list()  # WhatId is an Account
    by_id = {row["engagement_id"]: row for row in engagements.iter_rows(named=True)}
    assert by_id["00T8d00000Tsk01AAA"]["contact_title"] == "Plant Manager"  # via WhoId
    assert by_id["00T8d00000Tsk02AAA"]["issues"] == "spare_parts;unplanned_downtime"
    assert by_id["00T8d00000Tsk05AAA"]["_source_line"] == "7"  # after a two-line Description
    assert by_id["00U8d00000Evt01AAA"]["channel"] == "demo"
    assert reps.filter(pl.col("rep_id") == "0058d00000Usr02AAA")["manager"].to_list() == ["Priya Raman"]
    reasons = dict(prepared.source_audit.select("file", "ignored_reason").iter_rows())
    assert "WhatId not an opportunity: 1" in reasons["Task.csv"] and "IsDeleted=true: 1" in reasons["Task.csv"]
    assert reasons["Event.csv"] == "WhatId is a deleted opportunity: 1"
    audit = prepared.source_audit
    assert (audit["rows_read"] == audit["rows_converted"] + audit["rows_ignored"]).all()
    assert any("OpportunityContactRole.csv is not used" in note for note in prepared.notes)
    assert any("open deals carry a close date" in note for note in prepared.notes)


def test_conversion_is_byte_identical_on_rerun(tmp_path: Path) -> None:
    first = prepare_input(SAMPLE, "salesforce", tmp_path / "a").dir
    second = prepare_input(SAMPLE, "salesforce", tmp_path / "b").dir
    for name in ("deals", "reps", "engagements"):
        assert (first / f"{name}.parquet").read_bytes() == (second / f"{name}.parquet").read_bytes()
    assert (first / "maps" / "industrial-controls.yaml").is_file()


def test_no_activities_note(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    (export / "Task.csv").unlink()
    (export / "Event.csv").unlink()
    prepared = prepare_input(export, "salesforce", tmp_path / "work")
    assert pl.read_parquet(prepared.dir / "engagements.parquet").is_empty()
    assert any(note.startswith("no engagements in this export") for note in prepared.notes)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    (export / "User.csv").unlink()
    opportunity = pl.read_csv(export / "Opportunity.csv", infer_schema=False).drop("IsWon", "CreatedDate")
    opportunity.write_csv(export / "Opportunity.csv")
    (export / "salesforce.yaml").write_text("segment: Account.Sector\nattributes: {source: LeadSrc}\n")
    with pytest.raises(InputError) as caught:
        prepare_input(export, "salesforce", tmp_path / "work")
    text = str(caught.value)
    assert "User.csv: file: is missing" in text
    assert "Opportunity.csv: header (line 1): missing column(s): CreatedDate, IsWon" in text
    assert "Account.csv: header (line 1): missing column(s): sector" in text
    assert "LeadSrc" in text


def test_config_typo_is_named(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    (export / "salesforce.yaml").write_text("segement: Account.Industry\n")
    with pytest.raises(InputError, match="salesforce.yaml: segement: is not a known setting"):
        prepare_input(export, "salesforce", tmp_path / "work")


def test_segment_and_tags_are_configurable(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    (export / "salesforce.yaml").write_text(
        "segment: Opportunity.Type\nsegment_values: {New Business: new, '*': other}\n"
        "tags: {value_propositions: Value_Propositions__c, issues: null, questions: Questions__c}\n"
        "tag_values: {vp_yield: vp_first_pass_yield}\n")
    prepared = prepare_input(export, "salesforce", tmp_path / "work")
    deals = pl.read_parquet(prepared.dir / "deals.parquet")
    assert dict(deals.select("deal_id", "segment").iter_rows())["0068d00000Opp03AAA"] == "other"
    engagements = pl.read_parquet(prepared.dir / "engagements.parquet")
    assert engagements["issues"].is_null().all()
    assert "vp_first_pass_yield;vp_common_spares" in engagements["value_propositions"].to_list()


def test_sample_passes_the_ingest_validation() -> None:
    from valuedata.ingest.validate import validate_input

    report = validate_input(SAMPLE, "salesforce")
    assert report.ok, report.lines()
