"""Vectorised polars expressions that turn export values into contract values."""

from __future__ import annotations

import polars as pl

ISO_DATE = r"^\d{4}-\d{2}-\d{2}"
DEFAULT_KEY = "*"
_TRUE = ["true", "1", "yes", "y", "t", "x"]
_CHANNELS = ("demo", "meeting", "call", "email")
_LETTERS = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th"}


def iso_date(value: pl.Expr, fmt: str | None = None) -> pl.Expr:
    """`YYYY-MM-DD` from a date or timestamp; values that do not parse stay as read."""
    iso = pl.when(value.str.contains(ISO_DATE)).then(value.str.slice(0, 10))
    if fmt is None:
        return pl.coalesce(iso, value)
    parsed = value.str.to_datetime(fmt, strict=False).dt.to_string("%Y-%m-%d")
    return pl.coalesce(parsed, iso, value)


def truthy(value: pl.Expr) -> pl.Expr:
    """True for true / 1 / yes (any case), false otherwise (also when empty)."""
    return value.str.to_lowercase().is_in(_TRUE).fill_null(False)


def id_list(value: pl.Expr, separator: str = ";", rename: dict[str, str] | None = None) -> pl.Expr:
    """A `;`-separated list of ids: items trimmed, renamed, empties dropped; empty -> null."""
    item = pl.element().str.strip_chars()
    if rename:
        item = item.replace(rename)
    items = value.str.split(separator).list.eval(item.filter(item != ""))
    return items.list.join(";").replace("", None)


def first_id(value: pl.Expr, separator: str = ";") -> pl.Expr:
    """The first id of a separated list."""
    return value.str.split(separator).list.first().str.strip_chars().replace("", None)


def relabel(value: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    """Map values through `mapping` (keys case-insensitive); `*` maps every other value, `""` empty cells."""
    if not mapping:
        return value
    pairs = {k.strip().lower(): v for k, v in mapping.items() if k != DEFAULT_KEY}
    default = pl.lit(mapping[DEFAULT_KEY]) if DEFAULT_KEY in mapping else value
    key = value.str.strip_chars().str.to_lowercase()
    return (key.fill_null("") if "" in pairs else key).replace_strict(pairs, default=default, return_dtype=pl.Utf8)


def slug(name: pl.Expr) -> pl.Expr:
    """A stable id from a person's name: `José Núñez` -> `jose-nunez`."""
    spelled = name.str.to_lowercase().str.replace_many(_LETTERS)
    ascii_name = spelled.str.normalize("NFKD").str.replace_all(r"[^\x00-\x7f]", "")
    made = ascii_name.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "-").str.strip_chars("-")
    return pl.when(made != "").then(made).otherwise(name.str.strip_chars())


def channel(text: pl.Expr, default: str) -> pl.Expr:
    """meeting / call / email / demo from an activity type or subtype; `default` otherwise."""
    lowered = text.str.to_lowercase()
    out = pl.lit(default)
    for name in reversed(_CHANNELS):
        out = pl.when(lowered.str.contains(name)).then(pl.lit(name)).otherwise(out)
    return out


def plain_number(value: pl.Expr, decimal: str) -> pl.Expr:
    """`1,234.50` (decimal ".") or `1.234,50` (decimal ",") -> `1234.50`; other text is left as read."""
    thousands = r"[,\s\u00a0']" if decimal == "." else r"[.\s\u00a0']"
    return value.str.replace_all(thousands, "").str.replace(",", ".", literal=True)


def first_of(frame_columns: list[str], candidates: list[str]) -> pl.Expr:
    """The first non-empty value among the candidate columns that the frame has."""
    present = [pl.col(c.lower()) for c in candidates if c.lower() in frame_columns]
    return pl.coalesce(present) if present else pl.lit(None, dtype=pl.Utf8)
