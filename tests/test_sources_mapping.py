"""Mapping files: any CSV export onto the contract."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from valuedata.errors import InputError
from valuedata.sources import prepare_input

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
PIPELINE = EXPORTS / "pipeline"
EUROPE = EXPORTS / "pipeline_eu"


def _tables(prepared) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(prepared.dir / f"{name}.parquet") for name in ("deals", "reps", "engagements")}


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))
    return folder / name


def test_kaggle_style_pipeline_with_lookups_and_owner_names(tmp_path: Path) -> None:
    prepared = prepare_input(PIPELINE, str(PIPELINE / "mapping.yaml"), tmp_path)
    tables = _tables(prepared)
    deals = {row["deal_id"]: row for row in tables["deals"].iter_rows(named=True)}
    first = deals["1C1I7A6R"]
    assert (first["rep_id"], first["segment"], first["outcome"]) == ("moses-frase", "retail", "won")
    assert tables["deals"]["amount"].null_count() == tables["deals"].height  # close_value is not mapped
    assert (first["product"], first["employees"], first["currency"]) == ("GTX Plus Basic", "2448", "USD")
    assert deals["NL3JZH1Z"]["outcome"] == "open"
    assert set(tables["deals"]["rep_id"]) <= set(tables["reps"]["rep_id"])
    reps = {row["rep_id"]: row for row in tables["reps"].iter_rows(named=True)}
    assert (reps["moses-frase"]["name"], reps["moses-frase"]["region"]) == ("Moses Frase", "Central")
    assert tables["engagements"].is_empty()
    assert any(note.startswith("no engagements in this export") for note in prepared.notes)
    assert any("account_id: 2" in note and "created_at: 2" in note for note in prepared.notes)  # Prospecting rows
    audit = dict(prepared.source_audit.select("file", "rows_converted").iter_rows())
    assert audit == {"sales_pipeline.csv": 14, "accounts.csv": 10, "sales_teams.csv": 10}


def test_european_variant_bom_semicolon_latin1_decimal_comma(tmp_path: Path) -> None:
    prepared = prepare_input(EUROPE, str(EUROPE / "mapping.yaml"), tmp_path)
    tables = _tables(prepared)
    deals = {row["deal_id"]: row for row in tables["deals"].iter_rows(named=True)}
    assert list(tables["deals"].columns[:1]) == ["deal_id"]          # BOM stripped from the first header
    assert (deals["EU-2017-001"]["created_at"], deals["EU-2017-001"]["amount"]) == ("2017-01-03", "1054.00")
    assert deals["EU-2017-005"]["amount"] == "12500.50"
    assert deals["EU-2017-005"]["created_at"] == "2017-02-22"      # ISO dates still pass with a date_format
    assert deals["EU-2016-002"]["created_at"] == "13/13/2016"      # left as read: the ingest quarantines it
    assert deals["EU-2016-001"]["account_name"] == "Müller Maschinenbau"   # latin-1 file decoded
    assert (deals["EU-2017-003"]["outcome"], deals["EU-2017-003"]["closed_at"]) == ("open", None)
    assert "EU-2017-004" not in deals                                # ignored: Storniert
    assert dict(tables["reps"].select("rep_id", "name").iter_rows()) == {
        "jurgen-weiss": "Jürgen Weiß", "ana-conceicao": "Ana Conceição", "zoe-lefevre": "Zoë Lefèvre"}
    assert deals["EU-2017-002"]["_source_file"] == "opportunities_2017.csv"
    assert deals["EU-2017-002"]["_source_line"] == "3"
    reasons = dict(prepared.source_audit.select("file", "ignored_reason").iter_rows())
    assert reasons["opportunities_2017.csv"] == "Deal Stage=Storniert: 1"
    assert any("opportunities_2016.csv is not UTF-8" in note for note in prepared.notes)
    assert any(note.startswith("no reps table mapped") for note in prepared.notes)


def test_explicit_latin1_tab_separated_with_engagements(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(PIPELINE / "maps", export / "maps")
    _write(export, "deals.tsv", "Id\tOwner\tFirma\tStatus\tStart\tEnde\n"
                                "D1\tRenée Faßbender\tCafé Nord\tgewonnen\t01.02.2024\t15.03.2024\n"
                                "D2\tRenée Faßbender\tCafé Nord\tverloren\t03.02.2024\t16.03.2024\n", "latin-1")
    _write(export, "activities.csv", "id,deal,when,who,title,vps\n"
                                     "A1,D1,2024-02-05,c1,Head of IT,vp_consolidate | vp_other\n"
                                     "A2,D9,2024-02-06,c2,CIO,\n")
    mapping = _write(export, "mapping.yaml", """
deals:
  file: deals.tsv
  delimiter: tab
  encoding: latin-1
  date_format: "%d.%m.%Y"
  owner_names: true
  columns: {deal_id: Id, rep_id: Owner, account_id: Firma, created_at: Start, closed_at: Ende, outcome: Status}
  constants: {segment: "*"}
  values: {outcome: {gewonnen: won, verloren: lost}}
engagements:
  file: activities.csv
  list_separator: "|"
  columns: {engagement_id: id, deal_id: deal, occurred_at: when, contact_id: who, contact_title: title,
            value_propositions: vps}
  constants: {channel: meeting}
""")
    prepared = prepare_input(export, str(mapping), tmp_path / "work")
    tables = _tables(prepared)
    assert tables["deals"].select("rep_id", "account_id", "created_at", "outcome").row(0) == (
        "renee-fassbender", "Café Nord", "2024-02-01", "won")
    assert tables["engagements"]["value_propositions"].to_list() == ["vp_consolidate;vp_other", None]
    assert tables["engagements"]["channel"].to_list() == ["meeting", "meeting"]
    assert not any("not UTF-8" in note for note in prepared.notes)   # the encoding was declared


def test_mapping_problems_are_listed_together(tmp_path: Path) -> None:
    export = tmp_path / "export"
    _write(export, "opps.csv", "id,owner,stage\n1,Ann,Won\n")
    mapping = _write(export, "mapping.yaml", """
deals:
  file: opps.csv
  columns: {deal_id: id, rep_id: owner, outcome: stage, account_id: acct}
  values: {stag: {Won: won}}
reps:
  file: reps.csv
  columns: {rep_id: id, nickname: nick}
""")
    with pytest.raises(InputError) as caught:
        prepare_input(export, str(mapping), tmp_path / "work")
    text = str(caught.value)
    assert "nothing gives the required column 'segment'" in text
    assert "nothing gives the required column 'created_at'" in text
    assert "deals.values.stag: 'stag' is not a column this table makes" in text
    assert "reps.columns.nickname: reps has no column 'nickname'" in text


def test_missing_export_columns_and_files(tmp_path: Path) -> None:
    export = tmp_path / "export"
    _write(export, "opps.csv", "id,owner,stage,created\n1,Ann,Won,2024-01-01\n")
    mapping = _write(export, "mapping.yaml", """
deals:
  file: opps.csv
  columns: {deal_id: id, rep_id: owner, outcome: stage, account_id: account, created_at: created}
  constants: {segment: "*"}
engagements:
  file: "activities*.csv"
""" + "  columns: {engagement_id: id, deal_id: deal, occurred_at: when}\n")
    with pytest.raises(InputError) as caught:
        prepare_input(export, str(mapping), tmp_path / "work")
    text = str(caught.value)
    assert "opps.csv: header (line 1): missing column(s): account" in text
    assert "engagements.file: 'activities*.csv' matches no file" in text


def test_optional_table_and_yaml_typos(tmp_path: Path) -> None:
    export = tmp_path / "export"
    _write(export, "opps.csv", "id,owner,stage,created,acct\n1,Ann,Won,2024-01-01,A\n")
    mapping = _write(export, "mapping.yaml", """
deals:
  file: opps.csv
  columns: {deal_id: id, rep_id: owner, outcome: stage, account_id: acct, created_at: created}
  constants: {segment: "*"}
engagements:
  file: "activities*.csv"
  optional: true
  columns: {engagement_id: id, deal_id: deal, occurred_at: when}
""")
    prepared = prepare_input(export, "mapping.yaml", tmp_path / "work")   # found beside the export
    assert pl.read_parquet(prepared.dir / "engagements.parquet").is_empty()
    assert any("no value maps folder" in note for note in prepared.notes)
    _write(export, "mapping.yaml", "deals:\n  file: opps.csv\n  delimter: ';'\n")
    with pytest.raises(InputError, match=r"deals.delimter: is not a known setting"):
        prepare_input(export, str(mapping), tmp_path / "work")


def test_unknown_source_and_missing_mapping(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a known source"):
        prepare_input(PIPELINE, "pipedrive", tmp_path)
    with pytest.raises(InputError, match="the mapping file does not exist"):
        prepare_input(PIPELINE, "nowhere.yaml", tmp_path)


def test_samples_through_the_ingest_validation() -> None:
    from valuedata.ingest.validate import validate_input

    report = validate_input(PIPELINE, str(PIPELINE / "mapping.yaml"))
    assert not report.fatal
    assert [(e[0], e[1], e[2]) for e in report.examples] == [
        ("sales_pipeline.csv", 14, "missing_required"), ("sales_pipeline.csv", 15, "missing_required")]
