"""Read value-map files and report every problem in them at once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import yaml
from pydantic import ValidationError

from valuedata.errors import InputError, Problem
from valuedata.maps.models import ValueMap

MAP_SUFFIXES = (".yaml", ".yml", ".json")
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: ~5x faster on big maps


def map_files(maps_dir: Path) -> list[Path]:
    """The value-map files of an input folder, in a stable order."""
    if not maps_dir.is_dir():
        return []
    return sorted(p for p in maps_dir.iterdir() if p.suffix.lower() in MAP_SUFFIXES and p.is_file())


def load_maps(maps_dir: Path, overlay_dir: Path | None = None) -> list[ValueMap]:
    """Parse and validate every map in `maps_dir` (a file of the same name in `overlay_dir` replaces it);
    raise InputError listing every problem."""
    chosen = {p.name: p for p in map_files(maps_dir)}
    chosen |= {p.name: p for p in map_files(overlay_dir)} if overlay_dir else {}
    files = [chosen[name] for name in sorted(chosen)]
    if not files:
        raise InputError([Problem(str(maps_dir), "folder", "no value maps (*.yaml, *.yml, *.json) found",
                                  "add at least one map; see docs/contract.md, 'Value maps', "
                                  "or seeds/maps/ for an example")])
    problems: list[Problem] = []
    maps: list[ValueMap] = []
    for path in files:
        value_map, file_problems = parse_map_file(path)
        problems += file_problems
        if value_map is not None:
            maps.append(value_map)
    problems += _cross_map_problems(maps)
    if problems:
        raise InputError(problems)
    return maps


def parse_map_file(path: Path) -> tuple[ValueMap | None, list[Problem]]:
    """One map file: the map (when it is valid) and every problem found in it."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = _parse_error_place(exc)
        return None, [Problem(str(path), where, f"cannot be parsed: {_first_line(exc)}",
                              "fix the syntax (indentation, quotes, colons) at that place")]
    if not isinstance(data, dict):
        return None, [Problem(str(path), "top level", "is not a mapping of keys (map_id, name, segment, roles)",
                              "start the file with `map_id: ...`; see seeds/maps/ for an example")]
    try:
        value_map = ValueMap.model_validate(data)
    except ValidationError as exc:
        return None, [_schema_problem(path, data, err) for err in exc.errors()]
    value_map.source_file = str(path)
    problems = reference_problems(value_map, str(path))
    return (None if problems else value_map), problems


def reference_problems(value_map: ValueMap, file: str) -> list[Problem]:
    """Duplicate ids and dangling `addresses` / `uncovers` inside one map."""
    problems: list[Problem] = []
    role_counts = Counter(role.role_id for role in value_map.roles)
    for role_id, count in role_counts.items():
        if count > 1:
            problems.append(Problem(file, f"roles[{role_id}]", f"role_id '{role_id}' is used by {count} roles",
                                    "give each role its own role_id"))
    seen: dict[str, str] = {}
    issues = value_map.issue_ids()
    for role in value_map.roles:
        for kind, items in _role_items(role):
            for index, item in enumerate(items):
                key = f"roles[{role.role_id}].{kind}[{index}].id"
                if item.id in seen:
                    problems.append(Problem(file, key, f"id '{item.id}' is already used at {seen[item.id]}",
                                            "ids must be unique within a map; rename one of them"))
                else:
                    seen[item.id] = key
        for attr, entries in (("value_propositions", role.value_propositions), ("questions", role.questions)):
            field = "addresses" if attr == "value_propositions" else "uncovers"
            for index, entry in enumerate(entries):
                for ref in getattr(entry, field):
                    if ref not in issues:
                        problems.append(Problem(
                            file, f"roles[{role.role_id}].{attr}[{index}].{field}",
                            f"'{ref}' is not an issue of this map",
                            f"use one of the map's issue ids ({_preview(issues)}) or add the issue"))
    return problems


def _role_items(role) -> list[tuple[str, list]]:
    return [("objectives", role.objectives), ("metrics", role.metrics), ("strategies", role.strategies),
            ("issues", role.issues), ("value_propositions", role.value_propositions),
            ("questions", role.questions)]


def _cross_map_problems(maps: list[ValueMap]) -> list[Problem]:
    problems: list[Problem] = []
    by_id: dict[str, ValueMap] = {}
    by_segment: dict[str, ValueMap] = {}
    for value_map in maps:
        if value_map.map_id in by_id:
            problems.append(Problem(value_map.source_file or "?", "map_id",
                                    f"map_id '{value_map.map_id}' is also used by {by_id[value_map.map_id].source_file}",
                                    "map ids must be unique across maps; rename one"))
        by_id.setdefault(value_map.map_id, value_map)
        segment = value_map.segment.strip().lower()
        if segment in by_segment:
            problems.append(Problem(value_map.source_file or "?", "segment",
                                    f"segment '{value_map.segment}' already has a map in {by_segment[segment].source_file}",
                                    "one map per segment: merge the two maps or change a segment"))
        by_segment.setdefault(segment, value_map)
    return problems


def _schema_problem(path: Path, data: dict, err: dict) -> Problem:
    loc = err["loc"]
    where = _key_path(data, loc) or "top level"
    kind = err["type"]
    if kind == "missing":
        return Problem(str(path), where, "is required but missing", f"add `{loc[-1]}:`")
    if kind == "extra_forbidden":
        return Problem(str(path), where, "is not a known key",
                       "remove it or check its spelling against docs/contract.md, 'Value maps'")
    if kind == "string_pattern_mismatch":
        return Problem(str(path), where, f"'{err.get('input')}' is not a valid id",
                       "use lower-case letters, digits, '_' (and '-' in map ids)")
    if kind == "too_short" and loc and loc[-1] == "roles":
        return Problem(str(path), where, "the map has no roles", "add at least one role (a key player)")
    return Problem(str(path), where, err["msg"], "correct the value; see docs/contract.md, 'Value maps'")


def _key_path(data: object, loc: tuple) -> str:
    """A readable key path, naming roles by role_id where possible: roles[production_manager].issues[0].id."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            label = str(step)
            if isinstance(node, list) and step < len(node) and isinstance(node[step], dict):
                label = str(node[step].get("role_id", step)) if parts and parts[-1] == "roles" else label
            parts[-1] = f"{parts[-1]}[{label}]" if parts else f"[{label}]"
        else:
            parts.append(str(step))
        node = node[step] if isinstance(node, (list, dict)) and _has(node, step) else None
    return ".".join(parts)


def _has(node: object, step: object) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(step, int) and step < len(node)  # type: ignore[arg-type]


def _parse_error_place(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}"
    return "file"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _preview(ids: set[str], limit: int = 6) -> str:
    shown = sorted(ids)[:limit]
    return ", ".join(shown) + (", …" if len(ids) > limit else "")
