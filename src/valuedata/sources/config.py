"""Optional YAML configuration beside an export, read into pydantic models with clear problems."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, TypeVar

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from valuedata.errors import InputError, Problem
from valuedata.sources.csvread import ExportFile
from valuedata.sources.exprs import first_of, id_list

Model = TypeVar("Model", bound=BaseModel)


class Strict(BaseModel):
    """A config section: unknown keys are typos, so they are errors."""

    model_config = ConfigDict(extra="forbid")


class Tags(Strict):
    """Export fields (multi-select, `;`-separated) holding value-map ids, per kind."""

    value_propositions: str | None = None
    issues: str | None = None
    questions: str | None = None


class CrmConfig(Strict):
    """What Salesforce and HubSpot configuration share."""

    encoding: str = "auto"
    segment: str
    segment_values: dict[str, str] = Field(default_factory=dict)
    currency: str | None = None
    attributes: dict[str, str] | None = None
    tags: Tags
    tag_values: dict[str, str] = Field(default_factory=dict)
    role_field: str | None = None

    @field_validator("attributes")
    @classmethod
    def _attribute_names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value and any(name.startswith("_") for name in value):
            raise ValueError("attribute names cannot start with '_' (those columns are lineage)")
        return value

    def activity_columns(self, columns: list[str]) -> dict[str, pl.Expr]:
        """The tag columns and role_id of an activity file, as contract columns."""
        out = {kind: id_list(first_of(columns, [field] if field else []), ";", self.tag_values)
               for kind, field in self.tags.model_dump().items()}
        out["role_id"] = first_of(columns, [self.role_field] if self.role_field else [])
        return out

    def field_notes(self, activities: ExportFile, config_file: str) -> list[str]:
        """Notes for tag and role fields that an activity file lacks (those columns stay empty)."""
        fields = {f"tags.{kind}": field for kind, field in self.tags.model_dump().items()}
        fields["role_field"] = self.role_field
        return [f"{activities.name} has no '{field}' column (named by `{key}` in {config_file}): "
                "those values are left empty" for key, field in fields.items() if field and not activities.has(field)]

    def segment_field(self) -> tuple[str, str]:
        """(object, field) of the segment, e.g. ("account", "industry")."""
        obj, _, name = self.segment.partition(".")
        return obj.strip().lower(), name.strip().lower()


def read_configured_export(
    input_dir: Path, config_name: str, model: type[Model],
    read_all: Callable[[Path, Model], tuple[dict[str, ExportFile], list[Problem]]],
    config_problems: Callable[[dict[str, ExportFile], Model], list[Problem]],
) -> tuple[Model, dict[str, ExportFile]]:
    """A CRM export's config and files; raise InputError listing every problem in either."""
    config, problems = load_config(input_dir / config_name, model)
    if config is None:
        raise InputError(problems)
    exports, problems = read_all(input_dir, config)
    problems += config_problems(exports, config)
    if problems:
        raise InputError(problems)
    return config, exports


def load_config(path: Path, model: type[Model]) -> tuple[Model | None, list[Problem]]:
    """The config at `path` (defaults when the file is absent) or the problems in it."""
    if not path.is_file():
        return model(), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        return None, [Problem(path.name, where, f"is not valid YAML ({str(exc).splitlines()[0]})",
                              "fix the indentation or quoting at that line")]
    if not isinstance(data, dict):
        return None, [Problem(path.name, "top level", "must be a mapping of settings",
                              "write `key: value` lines; see docs/sources.md")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [_problem(path.name, err) for err in exc.errors()]


def _problem(name: str, err: dict) -> Problem:
    """A pydantic error as a Problem naming the key."""
    where = ".".join(str(part) for part in err["loc"]) or "top level"
    if err["type"] == "extra_forbidden":
        return Problem(name, where, "is not a known setting", "remove it or fix its spelling (see docs/sources.md)")
    return Problem(name, where, err["msg"], "correct the value (see docs/sources.md)")
