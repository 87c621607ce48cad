"""Value maps as an Excel workbook: export YAML maps for editing, import the workbook back as YAML.

Layout (one header row per sheet; `;` separates list items in a cell):

  maps                 map_id, name, segment, version
  roles                map_id, role_id, title, title_patterns, department, level, key_player
  objectives, metrics, strategies, issues
                       map_id, role_id, id, text, impact, priority
  value_propositions   map_id, role_id, id, statement, addresses, impact, priority
  questions            map_id, role_id, id, text, uncovers, impact, priority

Rows keep the maps' order. An empty cell means "not given" (the map's default applies).

The export never writes a formula: text starting with = + - or @ is written as a text cell (shown as
typed, never evaluated). The import reads values: a formula's value saved by Excel is used, a formula
with no saved value is refused, naming its sheet, row and column.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from zipfile import BadZipFile

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError

from valuedata.errors import InputError, Problem
from valuedata.maps.load import YAML_LOADER, load_maps, map_files, reference_problems
from valuedata.maps.models import ValueMap

MAP_COLUMNS = ("map_id", "name", "segment", "version")
ROLE_COLUMNS = ("map_id", "role_id", "title", "title_patterns", "department", "level", "key_player")
ITEM_COLUMNS = {
    "objectives": ("map_id", "role_id", "id", "text", "impact", "priority"),
    "metrics": ("map_id", "role_id", "id", "text", "impact", "priority"),
    "strategies": ("map_id", "role_id", "id", "text", "impact", "priority"),
    "issues": ("map_id", "role_id", "id", "text", "impact", "priority"),
    "value_propositions": ("map_id", "role_id", "id", "statement", "addresses", "impact", "priority"),
    "questions": ("map_id", "role_id", "id", "text", "uncovers", "impact", "priority"),
}
SHEETS = {"maps": MAP_COLUMNS, "roles": ROLE_COLUMNS, **ITEM_COLUMNS}
REQUIRED_SHEETS = ("maps", "roles")
LISTS = ("title_patterns", "addresses", "uncovers")
BOOLS = ("impact", "key_player")
INTS = ("priority",)
SEPARATOR = "; "
FORMULA_STARTS = ("=", "+", "-", "@")
_REFERENCE = re.compile(r"roles\[(?P<role>[^\]]+)\]\.(?P<kind>\w+)\[(?P<index>\d+)\]")


def export_workbook(maps_dir: Path, xlsx: Path) -> Path:
    """Write every map of `maps_dir` (validated first) into one workbook at `xlsx`."""
    load_maps(maps_dir)
    rows: dict[str, list[dict]] = {sheet: [] for sheet in SHEETS}
    for path in map_files(maps_dir):
        data = _read_map(path)
        rows["maps"].append(data)
        for role in data["roles"]:
            rows["roles"].append({"map_id": data["map_id"], **role})
            for kind in ITEM_COLUMNS:
                rows[kind] += [{"map_id": data["map_id"], "role_id": role["role_id"], **item}
                               for item in role.get(kind) or []]
    book = Workbook()
    book.remove(book.active)
    for sheet, columns in SHEETS.items():
        _write_sheet(book.create_sheet(sheet), columns, rows[sheet])
    xlsx.parent.mkdir(parents=True, exist_ok=True)
    book.save(xlsx)
    return xlsx


def import_workbook(xlsx: Path, maps_dir: Path) -> list[Path]:
    """Write one YAML map per `maps` row into `maps_dir`; raise InputError (sheet + row) and write nothing."""
    sheets, problems = _read_sheets(xlsx)
    if problems:
        raise InputError(problems)
    maps, where, problems = _assemble(sheets, xlsx.name)
    problems += _model_problems(maps, where, xlsx.name)
    if problems:
        raise InputError(problems)
    targets, stale = _target_paths(maps, maps_dir)
    _check_folder(maps, targets, stale, maps_dir, xlsx.name)
    maps_dir.mkdir(parents=True, exist_ok=True)
    for data, path in zip(maps, targets):
        path.write_text(_dump(data), encoding="utf-8")
    for path in stale:
        path.unlink()
    return targets


def _read_map(path: Path) -> dict:
    """A map file as plain data."""
    text = path.read_text(encoding="utf-8-sig")
    return json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, Loader=YAML_LOADER)


def _write_sheet(sheet, columns: tuple[str, ...], rows: list[dict]) -> None:
    """A header row, then one row per record; lists joined with `; `."""
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([SEPARATOR.join(row[c]) if c in LISTS and row.get(c) is not None else row.get(c)
                      for c in columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"  # text, not a formula
                cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    sheet.freeze_panes = "A2"
    for letter, column in zip("ABCDEFGH", columns):
        sheet.column_dimensions[letter].width = 60 if column in ("text", "statement", "name") else 22


def _read_sheets(xlsx: Path) -> tuple[dict[str, list[tuple[int, dict]]], list[Problem]]:
    """(row number, {column: value}) per non-empty row of each known sheet; header problems and formulas
    that have no saved value."""
    try:
        book = load_workbook(xlsx, read_only=True, data_only=True)
        formulas = load_workbook(xlsx, read_only=True, data_only=False)
    except (OSError, ValueError, KeyError, BadZipFile, InvalidFileException) as exc:
        return {}, [Problem(xlsx.name, "workbook", f"cannot be opened as .xlsx ({exc})",
                            "save it from Excel as an .xlsx workbook")]
    sheets, problems = {}, []
    for name in REQUIRED_SHEETS:
        if name not in book.sheetnames:
            problems.append(Problem(xlsx.name, f"sheet {name}", "is missing",
                                    f"add a sheet named '{name}' with columns {', '.join(SHEETS[name])}"))
    for name in (n for n in SHEETS if n in book.sheetnames):
        rows = list(book[name].iter_rows(values_only=True))
        header = [str(h).strip().lower() if h is not None else "" for h in (rows[0] if rows else ())]
        missing = [c for c in SHEETS[name] if c not in header]
        if missing:
            problems.append(Problem(xlsx.name, f"sheet {name}, row 1", f"missing column(s): {', '.join(missing)}",
                                    f"the header must be: {', '.join(SHEETS[name])}"))
            continue
        problems += _unsaved_formulas(formulas[name], rows, header, name, xlsx.name)
        sheets[name] = [(number, {c: v for c, v in zip(header, row) if c in SHEETS[name]})
                        for number, row in enumerate(rows[1:], start=2)
                        if any(v is not None and str(v).strip() for v in row)]
    book.close()
    formulas.close()
    return sheets, problems


def _unsaved_formulas(sheet, values: list[tuple], header: list[str], name: str, book: str) -> list[Problem]:
    """A problem per formula cell whose value Excel did not save (its value would read as empty)."""
    problems = []
    for row in sheet.iter_rows():
        for cell in row:
            if getattr(cell, "data_type", None) != "f":
                continue
            r, c = cell.row, cell.column
            if r <= len(values) and c <= len(values[r - 1]) and values[r - 1][c - 1] is not None:
                continue
            column = header[c - 1] if c <= len(header) and header[c - 1] else f"#{c}"
            problems.append(Problem(book, f"sheet {name}, row {r}, column {column} (cell {cell.coordinate})",
                                    f"is a formula ({cell.value}) with no saved value, so it would read as empty",
                                    "type the value itself (a text starting with = needs a ' in front), or open "
                                    "and save the workbook in Excel so the formula's result is saved"))
    return problems


def _assemble(sheets: dict[str, list[tuple[int, dict]]], book: str,
              ) -> tuple[list[dict], dict[str, dict[tuple, tuple[str, int]]], list[Problem]]:
    """Plain map dicts from the rows; where each part came from (sheet, row); problems."""
    built = _Assembly(book)
    for sheet, columns in SHEETS.items():  # maps, then roles, then the items of roles
        for number, row in sheets.get(sheet, []):
            record, row_problems = _record(row, columns, sheet, number, book)
            built.problems += row_problems
            built.add(sheet, number, record)
    return list(built.maps.values()), built.where, built.problems


class _Assembly:
    """Maps being put together from sheet rows, where each part came from, and the problems met."""

    def __init__(self, book: str):
        self.book = book
        self.maps: dict[str, dict] = {}
        self.where: dict[str, dict[tuple, tuple[str, int]]] = {}  # map_id -> {path in the map: (sheet, row)}
        self.roles: dict[tuple, tuple[dict, int]] = {}  # (map_id, role_id) -> (role, its index in the map)
        self.problems: list[Problem] = []

    def add(self, sheet: str, number: int, record: dict) -> None:
        """Place one row: a map, a role of its map, or an item of its role."""
        if sheet == "maps":
            self._add_map(number, record)
            return
        map_id = record.pop("map_id", None)
        if map_id not in self.maps:
            self._problem(f"sheet {sheet}, row {number}", f"map_id '{map_id}' is not in sheet maps",
                          "use a map_id from sheet maps, or add the map there")
        elif sheet == "roles":
            self._add_role(map_id, number, record)
        else:
            self._add_item(sheet, map_id, number, record)

    def _add_map(self, number: int, record: dict) -> None:
        map_id = record.get("map_id")
        if map_id is None:
            self._problem(f"sheet maps, row {number}, column map_id", "is empty", "give every map a map_id")
        elif map_id in self.maps:
            self._problem(f"sheet maps, row {number}", f"map_id '{map_id}' is listed twice", "keep one row per map")
        else:
            self.maps[map_id] = {**record, "roles": []}
            self.where[map_id] = {(): ("maps", number)}

    def _add_role(self, map_id: str, number: int, record: dict) -> None:
        roles = self.maps[map_id]["roles"]
        roles.append(record)
        self.roles[(map_id, record.get("role_id"))] = (record, len(roles) - 1)
        self.where[map_id][("roles", len(roles) - 1)] = ("roles", number)

    def _add_item(self, sheet: str, map_id: str, number: int, record: dict) -> None:
        role_id = record.pop("role_id", None)
        role, index = self.roles.get((map_id, role_id), (None, None))
        if role is None:
            self._problem(f"sheet {sheet}, row {number}", f"role_id '{role_id}' is not a role of map '{map_id}'",
                          "use a role_id from sheet roles for that map")
            return
        role.setdefault(sheet, []).append(record)
        self.where[map_id][("roles", index, sheet, len(role[sheet]) - 1)] = (sheet, number)

    def _problem(self, where: str, problem: str, fix: str) -> None:
        self.problems.append(Problem(self.book, where, problem, fix))


def _record(row: dict, columns: tuple[str, ...], sheet: str, number: int, book: str) -> tuple[dict, list[Problem]]:
    """One row's non-empty cells as typed values (text, list, bool, int); problems with bad cells."""
    record, problems = {}, []
    for column in columns:
        value = row.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            record[column] = _typed(column, value)
        except ValueError as exc:
            problems.append(Problem(book, f"sheet {sheet}, row {number}, column {column}", str(exc),
                                    "correct the cell"))
    return record, problems


def _typed(column: str, value: object) -> object:
    """A cell's value as the map schema wants it."""
    if column in BOOLS:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "y", "1", "x"):
            return True
        if text in ("false", "no", "n", "0"):
            return False
        raise ValueError(f"'{value}' is not true or false")
    if column in INTS:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) or str(value).strip().isdigit():
            return int(value)
        raise ValueError(f"'{value}' is not a whole number")
    text = _text(value)
    if column in LISTS:
        return [part.strip() for part in text.split(";") if part.strip()]
    return text


def _text(value: object) -> str:
    """A text cell; Excel numbers like 2026.0 come back as '2026'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _model_problems(maps: list[dict], where: dict, book: str) -> list[Problem]:
    """The lead's map validation (schema and references), reported at sheet + row."""
    problems = []
    for data in maps:
        places = where[data.get("map_id")]
        try:
            value_map = ValueMap.model_validate(data)
        except ValidationError as exc:
            problems += [_schema_problem(err, places, book) for err in exc.errors()]
            continue
        for problem in reference_problems(value_map, book):
            match = _REFERENCE.search(problem.where)
            key = ()
            if match:
                index = next(i for i, r in enumerate(data["roles"]) if r["role_id"] == match["role"])
                key = ("roles", index, match["kind"], int(match["index"]))
            sheet, row = places.get(key) or places[()]
            problems.append(Problem(book, f"sheet {sheet}, row {row} ({problem.where})", problem.problem, problem.fix))
    return problems


def _schema_problem(err: dict, places: dict, book: str) -> Problem:
    """A pydantic error located at the sheet row that holds the offending value."""
    loc = tuple(err["loc"])
    prefix = max((k for k in places if loc[:len(k)] == k), key=len)
    sheet, row = places[prefix]
    rest = loc[len(prefix):]
    column = rest[0] if rest and isinstance(rest[0], str) and rest[0] != "roles" else None
    place = f"sheet {sheet}, row {row}" + (f", column {column}" if column else "")
    if err["type"] == "missing":
        return Problem(book, place, "is required but empty", "fill in the cell")
    if err["type"] == "string_pattern_mismatch":
        return Problem(book, place, f"'{err.get('input')}' is not a valid id",
                       "use lower-case letters, digits and '_' ('-' too in a map_id)")
    if err["type"] == "too_short" and loc == ("roles",):
        return Problem(book, place, "the map has no roles", "add its roles to sheet roles")
    return Problem(book, place, err["msg"], "correct the cell (see docs/sources.md, value maps in Excel)")


def _target_paths(maps: list[dict], maps_dir: Path) -> tuple[list[Path], list[Path]]:
    """Each map's YAML file (the existing file with its map_id, else `<map_id>.yaml`); JSON files it replaces."""
    existing = {}
    for path in map_files(maps_dir):
        try:
            existing.setdefault(_read_map(path).get("map_id"), path)
        except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            continue
    found = [existing.get(data["map_id"], maps_dir / f"{data['map_id']}.yaml") for data in maps]
    return [p.with_suffix(".yaml") if p.suffix.lower() == ".json" else p for p in found], \
        [p for p in found if p.suffix.lower() == ".json"]


def _check_folder(maps: list[dict], targets: list[Path], stale: list[Path], maps_dir: Path, book: str) -> None:
    """Validate the folder as it would be after the import (e.g. two maps for one segment)."""
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "maps"
        if maps_dir.is_dir():
            shutil.copytree(maps_dir, staged)
        staged.mkdir(exist_ok=True)
        for path in stale:
            (staged / path.name).unlink()
        for data, path in zip(maps, targets):
            (staged / path.name).write_text(_dump(data), encoding="utf-8")
        try:
            load_maps(staged)
        except InputError as exc:
            raise InputError([Problem(f"{book} -> {maps_dir / Path(p.file).name}", p.where, p.problem, p.fix)
                              for p in exc.problems]) from None


def _dump(data: dict) -> str:
    """A map as YAML in the contract's key order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
