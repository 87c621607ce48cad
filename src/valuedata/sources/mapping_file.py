"""The mapping file's schema: how any CSV export maps onto the native tables."""

from __future__ import annotations

import codecs
from typing import Annotated, Literal

import polars as pl
from pydantic import BeforeValidator, Field, field_validator

from valuedata.sources.config import Strict
from valuedata.sources.native import REQUIRED, TABLES

DATE_COLUMNS = {"deals": ("created_at", "closed_at"), "reps": ("hired_at",), "engagements": ("occurred_at",)}
DELIMITER_WORDS = {"auto": "auto", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _text(value: object) -> object:
    """YAML numbers and booleans written where text is meant, as text."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (int, float)) else value


Text = Annotated[str, BeforeValidator(_text)]


class Source(Strict):
    """Where a table's rows come from: a file name or glob in the input folder, and how it is written."""

    file: str
    delimiter: str = "auto"
    encoding: str = "auto"

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str) -> str:
        value = DELIMITER_WORDS.get(value.lower(), value)
        if len(value) != 1 and value != "auto":
            raise ValueError("must be one character (e.g. ';'), 'tab' or 'auto'")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding '{value}' (use utf-8, latin-1, cp1252, utf-16 or auto)")
        return value


class Lookup(Source):
    """A second file joined on a key, adding columns (e.g. a segment from an accounts file)."""

    key: str
    lookup_key: str
    columns: dict[Text, Text]


class TableSpec(Source):
    """How one native table is made from an export."""

    optional: bool = False
    columns: dict[Text, Text] = Field(default_factory=dict)
    constants: dict[Text, Text] = Field(default_factory=dict)
    values: dict[Text, dict[Text, Text]] = Field(default_factory=dict)
    date_format: str | None = None
    decimal: Literal[".", ","] = "."
    list_separator: str = ";"
    owner_names: bool = False
    ignore: dict[Text, list[Text]] = Field(default_factory=dict)
    lookups: list[Lookup] = Field(default_factory=list)

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                pl.Series(["2024-01-31"]).str.to_datetime(value, strict=False)
            except pl.exceptions.PolarsError:
                raise ValueError(f"'{value}' is not a strftime format (e.g. '%d/%m/%Y' or '%m/%d/%Y %H:%M')")
        return value

    def sources(self) -> dict[str, list[str]]:
        """Each target column and where it comes from (several entries = given twice)."""
        found: dict[str, list[str]] = {}
        for target in self.columns:
            found.setdefault(target, []).append("columns")
        for target in self.constants:
            found.setdefault(target, []).append("constants")
        for index, lookup in enumerate(self.lookups):
            for target in lookup.columns:
                found.setdefault(target, []).append(f"lookups[{index}].columns")
        return found


class Mapping(Strict):
    """A mapping file: one entry per native table; reps and engagements may be left out."""

    maps: str = "maps"
    deals: TableSpec
    reps: TableSpec | None = None
    engagements: TableSpec | None = None


def spec_problems(name: str, spec: TableSpec) -> list[tuple[str, str, str]]:
    """(where, problem, fix) for targets that are missing, unknown or given twice."""
    problems = []
    sources = spec.sources()
    for target in REQUIRED[name]:
        if target not in sources:
            problems.append((f"{name}.columns", f"nothing gives the required column '{target}'",
                             f"add `{target}: <export column>` under {name}.columns (or a constant)"))
    for target, places in sources.items():
        if len(places) > 1:
            problems.append((f"{name}.{places[1]}.{target}", f"'{target}' is also given in {name}.{places[0]}",
                             "give each column once"))
        if target.startswith("_"):
            problems.append((f"{name}.{places[0]}.{target}", "column names starting with '_' are lineage",
                             "name the column without a leading '_'"))
        elif name != "deals" and target not in TABLES[name]:
            problems.append((f"{name}.{places[0]}.{target}", f"{name} has no column '{target}'",
                             f"use one of: {', '.join(TABLES[name])}"))
    for target in spec.values:
        if target not in sources:
            problems.append((f"{name}.values.{target}", f"'{target}' is not a column this table makes",
                             f"relabel one of: {', '.join(sources)}"))
    if spec.owner_names and "rep_id" not in sources:
        problems.append((f"{name}.owner_names", "is set but nothing gives rep_id",
                         f"map rep_id to the column with the owner names under {name}.columns"))
    return problems
