"""Read one CSV export as text columns, with the physical line of every record."""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from valuedata.errors import Problem

LINE = "_source_line"
FILE = "_source_file"
AUTO = "auto"
_DELIMITERS = (",", ";", "\t", "|")


@dataclass
class ExportFile:
    """One export file as read: text columns with lower-cased headers plus lineage."""

    name: str
    sha256: str
    encoding: str
    frame: pl.DataFrame
    guessed: bool = False

    def has(self, column: str) -> bool:
        """Whether the header has this column (case-insensitive)."""
        return column.strip().lower() in self.frame.columns

    def missing(self, columns: list[str]) -> list[str]:
        """The columns of `columns` that the header lacks."""
        return [c for c in columns if not self.has(c)]


def read_export(
    path: Path, name: str, delimiter: str = ",", encoding: str = AUTO
) -> tuple[ExportFile | None, list[Problem]]:
    """Read `path` as all-text CSV; problems instead of a file when it cannot be read."""
    raw = path.read_bytes()
    text, used, problem = _decode(raw, encoding)
    if problem:
        return None, [Problem(name, problem[0], problem[1], problem[2])]
    if not text or text.isspace():
        return None, [Problem(name, "whole file", "is empty", "export it again with its header and rows")]
    separator = _sniff(text) if delimiter == AUTO else delimiter
    utf8 = raw if used == "utf-8" and not raw.startswith(codecs.BOM_UTF8) else text.encode()
    try:
        frame = pl.read_csv(io.BytesIO(utf8), separator=separator, infer_schema=False, quote_char='"')
    except (pl.exceptions.PolarsError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0][:200]
        return None, [
            Problem(name, "whole file", f"not a readable CSV ({first})",
                    f"export it again as CSV with '{separator}' between fields")
        ]
    if not frame.columns or frame.columns == [""]:
        return None, [Problem(name, "line 1", "the file has no header row",
                              "export it again with the column names on the first line")]
    lowered = [c.strip().lower() for c in frame.columns]
    twice = sorted({c for c in lowered if lowered.count(c) > 1})
    if twice:
        return None, [Problem(name, "header (line 1)", f"column(s) appear twice (ignoring case): {', '.join(twice)}",
                              "remove or rename the duplicate columns")]
    digest = hashlib.sha256(raw).hexdigest()
    guessed = encoding == AUTO and used not in ("utf-8", "utf-16")
    return ExportFile(name, digest, used, _tidy(frame, name), guessed), []


def _decode(raw: bytes, encoding: str) -> tuple[str, str, tuple[str, str, str] | None]:
    """Text, the encoding used, and (where, problem, fix) when it cannot be decoded."""
    if encoding == AUTO:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16"), "utf-16", None
        try:
            return raw.decode("utf-8-sig"), "utf-8", None
        except UnicodeDecodeError:
            codec = "cp1252" if _decodes(raw, "cp1252") else "latin-1"
            return raw.decode(codec), codec, None
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return raw.decode(codec), encoding, None
    except LookupError:
        return "", encoding, ("encoding", f"unknown encoding '{encoding}'",
                              "use utf-8, utf-8-sig, latin-1, cp1252 or utf-16")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return "", encoding, (f"line {line}", f"not valid {encoding} text (byte {exc.start})",
                              "set the file's real encoding (e.g. latin-1 or cp1252) or 'auto'")


def _decodes(raw: bytes, codec: str) -> bool:
    """Whether the bytes are valid text in `codec`."""
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _sniff(text: str) -> str:
    """The delimiter that appears most often in the header line."""
    header = text.split("\n", 1)[0]
    return max(_DELIMITERS, key=header.count)


def _tidy(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Lower-case headers, blank -> null, add lineage, drop blank lines."""
    header_lines = 1 + sum(c.count("\n") for c in frame.columns)
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    values = [pl.col(c) for c in frame.columns]
    spans = 1 + pl.sum_horizontal([v.str.count_matches("\n").fill_null(0) for v in values])
    cleaned = [v.str.strip_chars().replace("", None) for v in values]
    return (
        frame.with_columns(spans.alias(LINE))
        .with_columns((header_lines + 1 + pl.col(LINE).cum_sum() - pl.col(LINE)).alias(LINE))
        .with_columns(cleaned)
        .filter(pl.any_horizontal([v.is_not_null() for v in values]))
        .with_columns(pl.lit(name).alias(FILE), pl.col(LINE).cast(pl.Utf8))
    )


def find(input_dir: Path, pattern: str) -> list[Path]:
    """Files of the input folder whose relative path matches `pattern` (a glob, any case)."""
    candidates = input_dir.rglob("*") if "/" in pattern else input_dir.iterdir()
    wanted = pattern.lower()
    return sorted(p for p in candidates
                  if p.is_file() and fnmatch.fnmatchcase(p.relative_to(input_dir).as_posix().lower(), wanted))


def header_problem(export: ExportFile, missing: list[str], fix: str) -> Problem:
    """A Problem for required columns missing from a header."""
    return Problem(export.name, "header (line 1)", f"missing column(s): {', '.join(missing)}", fix)


def encoding_notes(exports: list[ExportFile]) -> list[str]:
    """Plain statements about files whose encoding had to be guessed."""
    return [f"{e.name} is not UTF-8; it was read as {e.encoding} (set `encoding:` to be explicit)"
            for e in exports if e.guessed]
