"""Value-map validation: every problem reported at once, with the file and key path."""

from pathlib import Path

import pytest
import yaml

from valuedata.errors import InputError
from valuedata.maps import load_maps, map_frames

from conftest import DATA


def write_map(folder: Path, name: str, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def base_map() -> dict:
    return yaml.safe_load((DATA / "mini" / "maps" / "controls.yaml").read_text())


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_maps(folder)
    return [str(p) for p in caught.value.problems]


def test_valid_map_flattens_into_items_roles_and_links():
    maps = load_maps(DATA / "mini" / "maps")
    frames = map_frames(maps)
    items = frames["value_map_items"]
    assert items.filter(items["item_id"] == "vp_yield")["text"].to_list() == ["Raise first-pass yield"]
    assert set(items["kind"].unique()) == {"objective", "metric", "strategy", "issue", "value_proposition", "question"}
    links = frames["value_map_links"]
    assert sorted(zip(links["from_id"], links["relation"], links["to_id"])) == [
        ("q_cost", "uncovers", "downtime"), ("q_spares", "uncovers", "spares"),
        ("vp_spares", "addresses", "spares"), ("vp_yield", "addresses", "downtime")]
    roles = frames["value_map_roles"]
    assert roles.filter(roles["role_id"] == "controller")["key_player"].to_list() == [False]


def test_every_problem_is_reported_with_file_and_key_path(tmp_path):
    data = base_map()
    pm = data["roles"][0]
    pm["value_propositions"][0]["addresses"] = ["no_such_issue"]
    pm["questions"][0]["uncovers"] = ["ghost"]
    pm["metrics"].append({"id": "obj_output", "text": "duplicate id"})
    data["roles"][1]["level"] = "intern"
    path = write_map(tmp_path / "maps", "bad.yaml", data)
    problems = problems_of(tmp_path / "maps")
    assert len(problems) == 1  # schema errors come first: the unknown level
    assert f"{path}: roles[maintenance_engineer].level" in problems[0]
    data["roles"][1]["level"] = "staff"
    write_map(tmp_path / "maps", "bad.yaml", data)
    problems = problems_of(tmp_path / "maps")
    assert any("roles[production_manager].value_propositions[0].addresses: 'no_such_issue' is not an issue" in p
               for p in problems)
    assert any("roles[production_manager].questions[0].uncovers: 'ghost'" in p for p in problems)
    assert any("roles[production_manager].metrics[1].id: id 'obj_output' is already used" in p for p in problems)
    assert len(problems) == 3


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.update(roles=[]), "the map has no roles"),
    (lambda d: d.update(map_id="Bad Id!"), "is not a valid id"),
    (lambda d: d.pop("segment"), "segment: is required but missing"),
    (lambda d: d["roles"][0].update(colour="red"), "roles[production_manager].colour: is not a known key"),
    (lambda d: d["roles"][0].update(role_id="maintenance_engineer"), "role_id 'maintenance_engineer' is used by 2 roles"),
])
def test_malformed_maps_are_refused(tmp_path, change, expected):
    data = base_map()
    change(data)
    write_map(tmp_path / "maps", "m.yaml", data)
    assert any(expected in p for p in problems_of(tmp_path / "maps"))


def test_yaml_syntax_error_names_the_line(tmp_path):
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "broken.yaml").write_text("map_id: x\nroles: [\n  - role_id: a\n")
    (problem,) = problems_of(tmp_path / "maps")
    assert "broken.yaml: line" in problem and "cannot be parsed" in problem


def test_two_maps_for_one_segment_and_duplicate_map_ids_are_refused(tmp_path):
    write_map(tmp_path / "maps", "a.yaml", base_map())
    write_map(tmp_path / "maps", "b.yaml", base_map())
    problems = problems_of(tmp_path / "maps")
    assert any("map_id 'mini-controls' is also used" in p for p in problems)
    assert any("segment 'manufacturing' already has a map" in p for p in problems)


def test_json_maps_follow_the_same_schema(tmp_path):
    import json
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "m.json").write_text(json.dumps(base_map()))
    assert [m.map_id for m in load_maps(tmp_path / "maps")] == ["mini-controls"]


def test_version_written_as_a_number_is_kept_as_text(tmp_path):
    data = base_map()
    data["version"] = 2026
    write_map(tmp_path / "maps", "m.yaml", data)
    assert load_maps(tmp_path / "maps")[0].version == "2026"
