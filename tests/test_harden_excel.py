"""Excel: the export writes no formula, the import reads formula values or refuses naming the cell (item 4)."""

import re
import shutil
import zipfile
from pathlib import Path

import yaml
from openpyxl import load_workbook

from conftest import run_cli

DANGEROUS = ['=HYPERLINK("http://evil.example","click")', "=cmd|' /C calc'!A0", "+1 555 0100", "-5% scrap", "@SUM(A1)"]
MAP = {
    "map_id": "inject",
    "name": DANGEROUS[0],
    "segment": "retail",
    "roles": [{"role_id": "buyer", "title": DANGEROUS[1], "department": DANGEROUS[2],
               "issues": [{"id": "i1", "text": DANGEROUS[3]}, {"id": "i2", "text": DANGEROUS[4]}]}],
}


def export(tmp_path: Path) -> Path:
    (tmp_path / "input" / "maps").mkdir(parents=True)
    (tmp_path / "input" / "maps" / "inject.yaml").write_text(yaml.safe_dump(MAP, sort_keys=False))
    xlsx = tmp_path / "maps.xlsx"
    result = run_cli("map", "export", "--xlsx", str(xlsx), "--input", str(tmp_path / "input"))
    assert result.returncode == 0, result.stderr
    return xlsx


def sheet_xml(xlsx: Path) -> str:
    with zipfile.ZipFile(xlsx) as book:
        return "".join(book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/"))


def test_the_export_writes_text_never_a_formula(tmp_path):
    xlsx = export(tmp_path)
    assert "<f>" not in sheet_xml(xlsx) and "<f " not in sheet_xml(xlsx)
    book = load_workbook(xlsx, data_only=False)
    cells = {c.value: c for sheet in book for row in sheet.iter_rows() for c in row if c.value in DANGEROUS}
    assert set(cells) == set(DANGEROUS)
    assert all(c.data_type == "s" and c.quotePrefix for c in cells.values())


def test_our_own_export_comes_back_unchanged(tmp_path):
    xlsx = export(tmp_path)
    (tmp_path / "back" / "maps").mkdir(parents=True)
    result = run_cli("map", "import", str(xlsx), "--input", str(tmp_path / "back"))
    assert result.returncode == 0, result.stderr
    back = yaml.safe_load((tmp_path / "back" / "maps" / "inject.yaml").read_text())
    assert back["name"] == DANGEROUS[0] and back["roles"][0]["title"] == DANGEROUS[1]
    assert back["roles"][0]["department"] == DANGEROUS[2]
    assert [i["text"] for i in back["roles"][0]["issues"]] == DANGEROUS[3:]


def _with_formulas(xlsx: Path, target: Path, cached: bool) -> Path:
    """The workbook with the roles sheet's department cell (E2) and an issue text (D2) made formulas,
    with or without the value Excel saves beside a formula."""
    book = load_workbook(xlsx)
    book["roles"]["E2"] = '=UPPER("plant")'
    book["issues"]["D2"] = '=CONCAT("Scrap", " rate")'
    book.save(target)
    if cached:
        with zipfile.ZipFile(target) as src:
            parts = {n: src.read(n) for n in src.namelist()}
        for name, data in parts.items():
            text = data.decode(errors="ignore")
            if "UPPER(" in text or "CONCAT(" in text:
                text = re.sub(r'<c r="E2"([^>]*)><f>UPPER\("plant"\)</f><v\s*/>', r'<c r="E2"\1 t="str"><f>UPPER("plant")</f><v>PLANT</v>', text)
                text = re.sub(r'<c r="D2"([^>]*)><f>(CONCAT[^<]*)</f><v\s*/>', r'<c r="D2"\1 t="str"><f>\2</f><v>Scrap rate</v>', text)
                parts[name] = text.encode()
        with zipfile.ZipFile(target, "w") as out:
            for name, data in parts.items():
                out.writestr(name, data)
    return target


def test_a_formula_without_a_saved_value_is_refused_naming_its_cell(tmp_path):
    xlsx = _with_formulas(export(tmp_path), tmp_path / "edited.xlsx", cached=False)
    shutil.copytree(tmp_path / "input", tmp_path / "back")
    before = (tmp_path / "back" / "maps" / "inject.yaml").read_text()
    result = run_cli("map", "import", str(xlsx), "--input", str(tmp_path / "back"))
    assert result.returncode == 1
    err = result.stderr.replace("\n", " ")
    assert "sheet roles, row 2, column department (cell E2)" in err and "no saved value" in err
    assert "sheet issues, row 2, column text (cell D2)" in err
    assert (tmp_path / "back" / "maps" / "inject.yaml").read_text() == before


def test_a_formula_with_a_saved_value_imports_that_value(tmp_path):
    xlsx = _with_formulas(export(tmp_path), tmp_path / "edited.xlsx", cached=True)
    (tmp_path / "back" / "maps").mkdir(parents=True)
    result = run_cli("map", "import", str(xlsx), "--input", str(tmp_path / "back"))
    assert result.returncode == 0, result.stderr
    back = yaml.safe_load((tmp_path / "back" / "maps" / "inject.yaml").read_text())
    assert back["roles"][0]["department"] == "PLANT" and back["roles"][0]["issues"][0]["text"] == "Scrap rate"
