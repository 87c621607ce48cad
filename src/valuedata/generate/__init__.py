"""Worked-example value maps and a deterministic generator of CRM data with planted effects."""

from .core import generate

__all__ = ["generate"]
