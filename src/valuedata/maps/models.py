"""Typed models of a customer value map (docs/contract.md, 'Value maps')."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAP_ID = r"^[a-z0-9_-]+$"
ROLE_ID = r"^[a-z0-9_]+$"
ITEM_ID = r"^[A-Za-z0-9_.-]+$"

ITEM_KINDS = ("objective", "metric", "strategy", "issue", "value_proposition", "question")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Item(_Strict):
    """An objective, metric, strategy or issue of a role. ``keywords``: words reps write in call notes
    when they mean this item (read by the notes tagger; see docs/notes.md)."""

    id: str = Field(pattern=ITEM_ID)
    text: str = Field(min_length=1)
    impact: bool = False
    priority: int | None = Field(default=None, ge=1)
    keywords: list[str] = Field(default_factory=list)


class ValueProposition(_Strict):
    """A statement of our impact on a role, addressing some of its map's issues."""

    id: str = Field(pattern=ITEM_ID)
    statement: str = Field(min_length=1)
    addresses: list[str] = Field(default_factory=list)
    impact: bool = True
    priority: int | None = Field(default=None, ge=1)
    keywords: list[str] = Field(default_factory=list)


class Question(_Strict):
    """A discovery question that uncovers some of the map's issues."""

    id: str = Field(pattern=ITEM_ID)
    text: str = Field(min_length=1)
    uncovers: list[str] = Field(default_factory=list)
    impact: bool = False
    priority: int | None = Field(default=None, ge=1)
    keywords: list[str] = Field(default_factory=list)


class Role(_Strict):
    """A key player in the customer's organisation."""

    role_id: str = Field(pattern=ROLE_ID)
    title: str = Field(min_length=1)
    title_patterns: list[str] = Field(default_factory=list)
    department: str | None = None
    level: Literal["executive", "manager", "staff"] | None = None
    key_player: bool = True
    objectives: list[Item] = Field(default_factory=list)
    metrics: list[Item] = Field(default_factory=list)
    strategies: list[Item] = Field(default_factory=list)
    issues: list[Item] = Field(default_factory=list)
    value_propositions: list[ValueProposition] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)


class ValueMap(_Strict):
    """One customer value map: the key players of a segment and what they value."""

    map_id: str = Field(pattern=MAP_ID)
    name: str = Field(min_length=1)
    segment: str = Field(min_length=1)
    version: str | None = None
    roles: list[Role] = Field(min_length=1)
    source_file: str | None = Field(default=None, exclude=True)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        """`version: 2026` or an unquoted date is still a version label."""
        return None if value is None else str(value)

    def issue_ids(self) -> set[str]:
        """Ids of every issue in the map."""
        return {issue.id for role in self.roles for issue in role.issues}
