"""Read call notes against the value maps: which value propositions, issues and questions each
engagement's notes mention (see docs/notes.md)."""

from valuedata.tagging.warehouse import build_engagement_tags, build_field_tags

__all__ = ["build_engagement_tags", "build_field_tags"]
