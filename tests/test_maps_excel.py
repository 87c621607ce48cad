"""Value maps in Excel: lossless round trip, and import problems named by sheet and row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from valuedata.errors import InputError
from valuedata.maps import load_maps
from valuedata.maps.excel import SHEETS, export_workbook, import_workbook

ROOT = Path(__file__).parents[1]
FIXTURE_MAPS = Path(__file__).parent / "fixtures" / "exports" / "salesforce" / "maps"
SPARSE = {
    "map_id": "sparse",
    "name": "Only what is required",
    "segment": "logistics",
    "roles": [{"role_id": "buyer", "title": "Buyer",
               "questions": [{"id": "q1", "text": "Multi-line\nquestion?", "uncovers": [], "impact": False}]},
              {"role_id": "cfo", "title": "CFO", "key_player": False,
               "issues": [{"id": "cash", "text": "Cash tied up", "priority": 3}],
               "value_propositions": [{"id": "vp_cash", "statement": "Free cash", "addresses": ["cash"],
                                       "impact": False}]}],
}


def _maps(folder: Path) -> dict[str, dict]:
    """Every map of a folder as plain data, by map_id."""
    out = {}
    for path in sorted(folder.iterdir()):
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        out[data["map_id"]] = data
    return out


def _without_empty(data: object) -> object:
    """Data with empty lists and nulls dropped (the workbook has no way to tell them from absent)."""
    if isinstance(data, dict):
        return {k: _without_empty(v) for k, v in data.items() if v not in (None, [])}
    if isinstance(data, list):
        return [_without_empty(v) for v in data]
    return data


@pytest.fixture
def maps_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "maps"
    shutil.copytree(FIXTURE_MAPS, folder)
    (folder / "sparse.json").write_text(json.dumps(SPARSE), encoding="utf-8")
    return folder


def test_round_trip_is_lossless(maps_dir: Path, tmp_path: Path) -> None:
    xlsx = export_workbook(maps_dir, tmp_path / "book" / "maps.xlsx")
    written = import_workbook(xlsx, tmp_path / "imported")
    assert sorted(p.name for p in written) == ["industrial-controls.yaml", "sparse.yaml"]
    before, after = _maps(maps_dir), _maps(tmp_path / "imported")
    assert after["industrial-controls"] == before["industrial-controls"]
    assert after["sparse"] == _without_empty(before["sparse"])
    assert len(load_maps(tmp_path / "imported")) == 2


@pytest.mark.parametrize("folder", [ROOT / "seeds" / "maps", ROOT / "src" / "valuedata" / "generate" / "maps"])
def test_round_trip_of_project_maps(folder: Path, tmp_path: Path) -> None:
    if not folder.is_dir():
        pytest.skip(f"{folder} is not there yet")
    import_workbook(export_workbook(folder, tmp_path / "maps.xlsx"), tmp_path / "imported")
    before = {k: _without_empty(v) for k, v in _maps(folder).items()}
    assert _maps(tmp_path / "imported") == before


def test_workbook_layout(maps_dir: Path, tmp_path: Path) -> None:
    book = load_workbook(export_workbook(maps_dir, tmp_path / "maps.xlsx"))
    assert book.sheetnames == list(SHEETS)
    assert [c.value for c in book["value_propositions"][1]] == list(SHEETS["value_propositions"])
    roles = list(book["roles"].iter_rows(min_row=2, values_only=True))
    assert roles[0] == ("industrial-controls", "production_manager", "Production Manager",
                        "production manager; plant manager; vp operations", "Operations", "manager", True)


def test_import_replaces_the_file_that_holds_the_map(maps_dir: Path, tmp_path: Path) -> None:
    xlsx = export_workbook(maps_dir, tmp_path / "maps.xlsx")
    book = load_workbook(xlsx)
    book["maps"]["B2"] = "Renamed map"
    book.save(xlsx)
    written = import_workbook(xlsx, maps_dir)
    assert sorted(p.name for p in maps_dir.iterdir()) == ["industrial-controls.yaml", "sparse.yaml"]
    assert maps_dir / "sparse.yaml" in written   # the JSON file was replaced by YAML
    assert _maps(maps_dir)["industrial-controls"]["name"] == "Renamed map"


def _edited(maps_dir: Path, tmp_path: Path, edits: dict[tuple[str, str], object]) -> Path:
    xlsx = export_workbook(maps_dir, tmp_path / "maps.xlsx")
    book = load_workbook(xlsx)
    for (sheet, cell), value in edits.items():
        book[sheet][cell] = value
    book.save(xlsx)
    return xlsx


def test_import_problems_name_sheet_row_and_column(maps_dir: Path, tmp_path: Path) -> None:
    xlsx = _edited(maps_dir, tmp_path, {
        ("issues", "F2"): "high",                     # priority is not a number
        ("questions", "B3"): "ceo",                   # no such role in the map
        ("value_propositions", "E2"): "downtime",     # addresses an unknown issue
        ("roles", "C3"): None,                        # a role without a title
        ("roles", "F2"): "boss",                      # not executive / manager / staff
    })
    target = tmp_path / "out"
    with pytest.raises(InputError) as caught:
        import_workbook(xlsx, target)
    text = str(caught.value)
    assert "maps.xlsx: sheet issues, row 2, column priority: 'high' is not a whole number" in text
    assert "maps.xlsx: sheet questions, row 3: role_id 'ceo' is not a role of map 'industrial-controls'" in text
    assert not target.exists()   # nothing written
    fixed = _edited(maps_dir, tmp_path, {("value_propositions", "E2"): "downtime", ("roles", "C3"): None,
                                         ("roles", "F2"): "boss"})
    with pytest.raises(InputError) as caught:
        import_workbook(fixed, target)
    text = str(caught.value)
    assert "sheet roles, row 3, column title: is required but empty" in text
    assert "sheet roles, row 2, column level:" in text
    reference = _edited(maps_dir, tmp_path, {("value_propositions", "E2"): "downtime"})
    with pytest.raises(InputError, match=r"sheet value_propositions, row 2 \(roles\[production_manager\]"
                                         r"\.value_propositions\[0\]\.addresses\): 'downtime' is not an issue"):
        import_workbook(reference, target)


def test_import_checks_the_folder_it_writes_into(maps_dir: Path, tmp_path: Path) -> None:
    xlsx = _edited(maps_dir, tmp_path, {("maps", "A3"): "sparse-2"})   # new id, same segment as sparse.json
    for sheet in ("roles", "issues", "value_propositions", "questions"):
        book = load_workbook(xlsx)
        for row in book[sheet].iter_rows(min_row=2):
            if row[0].value == "sparse":
                row[0].value = "sparse-2"
        book.save(xlsx)
    with pytest.raises(InputError, match="segment 'logistics' already has a map"):
        import_workbook(xlsx, maps_dir)
    assert (maps_dir / "sparse.json").is_file() and not (maps_dir / "sparse-2.yaml").exists()


def test_missing_sheets_and_columns(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "maps"
    book["maps"].append(["map_id", "name"])
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(InputError) as caught:
        import_workbook(tmp_path / "bad.xlsx", tmp_path / "out")
    text = str(caught.value)
    assert "bad.xlsx: sheet roles: is missing" in text
    assert "bad.xlsx: sheet maps, row 1: missing column(s): segment, version" in text


def test_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "maps.xlsx").write_text("map_id,name\n")
    with pytest.raises(InputError, match="maps.xlsx: workbook: cannot be opened as .xlsx"):
        import_workbook(tmp_path / "maps.xlsx", tmp_path / "out")
