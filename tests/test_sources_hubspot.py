"""HubSpot index-page exports → native tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from valuedata.errors import InputError
from valuedata.sources import prepare_input

SAMPLE = Path(__file__).parent / "fixtures" / "exports" / "hubspot"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):
    return prepare_input(SAMPLE, "hubspot", tmp_path_factory.mktemp("hubspot"))


def _table(prepared, name: str) -> pl.DataFrame:
    return pl.read_parquet(prepared.dir / f"{name}.parquet")


def test_stages_map_to_outcomes_with_configured_won_stage(prepared) -> None:
    deals = {row["deal_id"]: row for row in _table(prepared, "deals").iter_rows(named=True)}
    assert deals["15220418771"]["outcome"] == "won"        # "Closed won"
    assert deals["15220418772"]["outcome"] == "lost"       # "Closed lost"
    assert deals["15220418774"]["outcome"] == "won"        # "Contract signed", from hubspot.yaml
    assert (deals["15220418773"]["outcome"], deals["15220418773"]["closed_at"]) == ("open", None)
    assert deals["15220418771"]["created_at"] == "2025-03-04"
    assert deals["15220418771"]["segment"] == "discrete-manufacturing"   # Company.Industry via segment_values
    assert deals["15220418771"]["account_name"] == "Acme Industrial GmbH"
    assert deals["15220418771"]["deal_type"] == "newbusiness"


def test_owner_names_become_reps_with_stable_ids(prepared) -> None:
    reps = _table(prepared, "reps")
    assert dict(reps.select("rep_id", "name").iter_rows()) == {
        "sam-ortega": "Sam Ortega", "zoe-martin": "Zoë Martin", "lena-fischer": "Lena Fischer"}
    assert set(_table(prepared, "deals")["rep_id"]) == set(reps["rep_id"])


def test_activities_explode_over_deals_and_contacts(prepared) -> None:
    engagements = _table(prepared, "engagements")
    workshop = engagements.filter(pl.col("engagement_id").str.starts_with("80022")).sort("engagement_id")
    assert workshop["engagement_id"].to_list() == [
        "80022-15220418771-51201", "80022-15220418771-51202", "80022-15220418773-51201", "80022-15220418773-51202"]
    assert set(workshop["contact_title"]) == {"Plant Manager", "Maintenance Lead"}
    assert engagements["engagement_id"].is_unique().all()
    by_id = {row["engagement_id"]: row for row in engagements.iter_rows(named=True)}
    assert by_id["80021"]["channel"] == "demo"
    assert by_id["70011"]["channel"] == "call"
    assert by_id["70012"]["_source_line"] == "4"   # after a two-line call note


def test_audit_and_notes(prepared) -> None:
    reasons = dict(prepared.source_audit.select("file", "ignored_reason").iter_rows())
    assert reasons["hubspot-crm-exports-all-calls-2025-10-01.csv"] == "no associated deal: 1"
    audit = prepared.source_audit
    assert (audit["rows_read"] == audit["rows_converted"] + audit["rows_ignored"]).all()
    assert any("account_id: 1" in note for note in prepared.notes)   # the deal without a company
    assert any("distinct 'Deal owner' names" in note for note in prepared.notes)


def test_ambiguous_and_missing_files_are_reported_together(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    shutil.copy(export / "hubspot-crm-exports-all-calls-2025-10-01.csv", export / "calls-old.csv")
    (export / "hubspot-crm-exports-all-companies-2025-10-01.csv").unlink()
    with pytest.raises(InputError) as caught:
        prepare_input(export, "hubspot", tmp_path / "work")
    text = str(caught.value)
    assert "*call*.csv: file: matches several files" in text
    assert "no companies export" in text


def test_pipelines_filter(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    (export / "hubspot.yaml").write_text("pipelines: [Renewals]\nsegment: Deal.Pipeline\n")
    prepared = prepare_input(export, "hubspot", tmp_path / "work")
    assert _table(prepared, "deals").is_empty()
    assert prepared.source_audit["ignored_reason"][0] == "pipeline not selected: 5"


def test_sample_through_the_ingest_validation() -> None:
    from valuedata.ingest.validate import validate_input

    report = validate_input(SAMPLE, "hubspot")
    assert not report.fatal
    quarantined = {load.table: load.rows_quarantined for load in report.loads}
    assert quarantined == {"reps": 0, "deals": 1, "engagements": 0}   # the deal without a company
