"""The value rules shared by every source."""

from __future__ import annotations

import polars as pl

from valuedata.sources.exprs import channel, id_list, iso_date, plain_number, relabel, slug, truthy


def _apply(expr: pl.Expr, values: list) -> list:
    return pl.DataFrame({"v": values}, schema={"v": pl.Utf8}).select(expr.alias("out"))["out"].to_list()


def test_dates() -> None:
    values = ["2025-03-04T23:59:59.000Z", "2025-03-04 10:22", "04/03/2025", "soon", None]
    assert _apply(iso_date(pl.col("v")), values) == ["2025-03-04", "2025-03-04", "04/03/2025", "soon", None]
    assert _apply(iso_date(pl.col("v"), "%d/%m/%Y"), values)[2] == "2025-03-04"


def test_names_to_ids() -> None:
    names = ["Jürgen Weiß", "Zoë Lefèvre", "  Anna  Snelling ", "O'Brien, Seán", "李雷"]
    assert _apply(slug(pl.col("v")), names) == ["jurgen-weiss", "zoe-lefevre", "anna-snelling", "o-brien-sean", "李雷"]


def test_lists_labels_numbers_channels() -> None:
    assert _apply(id_list(pl.col("v"), "|", {"A": "a"}), ["A | b||", " ", None]) == ["a;b", None, None]
    assert _apply(relabel(pl.col("v"), {"Won": "won", "*": "open"}), ["WON ", "Engaging", None]) == \
        ["won", "open", "open"]
    assert _apply(relabel(pl.col("v"), {"Won": "won"}), ["won", "Other"]) == ["won", "Other"]
    assert _apply(relabel(pl.col("v"), {"": "open", "Won": "won"}), ["Won", None, "Lost"]) == ["won", "open", "Lost"]
    assert _apply(plain_number(pl.col("v"), ","), ["1.054,50", "12 500,00", "n/a"]) == ["1054.50", "12500.00", "n/a"]
    assert _apply(plain_number(pl.col("v"), "."), ["1,054.50", "42"]) == ["1054.50", "42"]
    assert _apply(channel(pl.col("v"), "other"), ["Product Demo", "Call", "List Email", "Task", None]) == \
        ["demo", "call", "email", "other", "other"]
    assert _apply(truthy(pl.col("v")), ["TRUE", "1", "false", None]) == [True, True, False, False]
