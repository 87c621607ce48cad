"""The sales-ops inbox: spot complete drops of CRM exports, claim them as batches, file them away.

    <inbox>/deals.csv, reps.csv, engagements.csv (or .parquet), maps/*.yaml   what sales ops drop
    <inbox>/.batches/<batch_id>/    a claimed drop, being loaded (later drops never mix in)
    <inbox>/archive/<run_id>/       loaded; REPORT.txt says how many rows went where
    <inbox>/rejected/<id>/          not loaded; REPORT.txt says why and how to resubmit

A drop is claimed when every file in it is complete: unchanged between two looks and for the quiet period
($VALUEDATA_INBOX_QUIET_SECONDS, default 60), and no CSV ends in an unfinished line (no final newline,
or a quote left open). A tool that writes a completion marker (an empty file named READY) once it has
copied everything gets its drop claimed at the next look, without the quiet period; the marker moves
with the batch. An unfinished CSV is left alone however old it is.
Files are only ever moved, never deleted; nothing under .batches/, archive/ or rejected/ is read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from valuedata.config import Settings
from valuedata.errors import ValuedataError
from valuedata.warehouse.lifecycle import open_current

MARKER = "READY"
BATCHES, ARCHIVE, REJECTED = ".batches", "archive", "rejected"
REPORT = "REPORT.txt"
CRM_FILES = tuple(f"{table}{suffix}" for table in ("deals", "reps", "engagements") for suffix in (".csv", ".parquet"))
MAP_SUFFIXES = (".yaml", ".yml", ".json")
TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", "~")
EXPECTED = "deals.csv, reps.csv, engagements.csv (or .parquet) at the top of the inbox, value maps as maps/*.yaml"
MAX_LISTED_ROWS = 20

Snapshot = dict[str, tuple[int, int]]  # path relative to the inbox -> (size in bytes, mtime in ns)


def unfinished_reason(path: Path) -> str | None:
    """Why a CSV looks cut off mid-copy (no final newline, or a quote left open), or None when it looks whole."""
    if path.suffix.lower() != ".csv":
        return None
    quotes, last = 0, b""
    with open(path, "rb") as handle:
        while block := handle.read(8 << 20):
            quotes += block.count(b'"')
            last = block[-1:]
    if last != b"\n":
        return "its last line is unfinished (no newline at the end)" if last else "it is empty"
    if quotes % 2:
        return "a quoted value is still open at the end"
    return None


def take_snapshot(inbox: Path) -> Snapshot:
    """Size and mtime of every file sales ops dropped (dotfiles, REPORT.txt and our own folders left out)."""
    files: Snapshot = {}
    for folder, dirs, names in os.walk(inbox):
        top = Path(folder) == inbox
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (top and d in (ARCHIVE, REJECTED))]
        for name in names:
            if name.startswith(".") or name == REPORT:
                continue
            path = Path(folder) / name
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed while we looked
                continue
            files[path.relative_to(inbox).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return files


def is_temporary(name: str) -> bool:
    """A file still being written by a browser, copy tool or office program (never claimed)."""
    base = name.rsplit("/", 1)[-1]
    return base.endswith(TEMPORARY_SUFFIXES) or base.startswith("~$")


def unexpected_reason(name: str) -> str | None:
    """Why valuedata would not read a dropped file, or None when it would."""
    parts = name.split("/")
    if len(parts) == 1 and name in CRM_FILES:
        return None
    if len(parts) == 2 and parts[0] == "maps" and name.endswith(MAP_SUFFIXES):
        return None
    if len(parts) == 1 and name.endswith(MAP_SUFFIXES):
        return f"a value map belongs in the maps/ folder of the inbox: move it to maps/{name}"
    if len(parts) == 1:
        return "valuedata does not know this file name: name CRM exports deals.csv, reps.csv or engagements.csv"
    return "valuedata reads files at the top of the inbox and value maps in maps/ only, not in other folders"


@dataclass(frozen=True)
class InboxCursor:
    """What the inbox sensor remembers between ticks: the last snapshot and the batches already requested."""

    files: Snapshot = field(default_factory=dict)
    requested: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, text: str | None) -> "InboxCursor":
        if not text:
            return cls()
        data = json.loads(text)
        return cls({name: (size, mtime) for name, (size, mtime) in data["files"].items()}, tuple(data["requested"]))

    def to_json(self) -> str:
        return json.dumps({"files": {n: list(v) for n, v in sorted(self.files.items())},
                           "requested": sorted(self.requested)})


@dataclass(frozen=True)
class InboxTick:
    """One look at the inbox: what to remember, and the drop claimed or rejected, if any."""

    snapshot: Snapshot
    waiting: tuple[str, ...] = ()
    claimed: Path | None = None
    rejected: Path | None = None


def check_inbox(inbox: Path, previous: Snapshot, now: datetime) -> InboxTick:
    """Claim the drop into .batches/<batch_id>/ once every file in the inbox is complete (see the module's
    docstring); `waiting` says which files hold it back and why.

    A drop with a file valuedata would not read is moved, whole, to rejected/<batch_id>/ with a REPORT.txt.
    """
    inbox.mkdir(parents=True, exist_ok=True)
    current = take_snapshot(inbox)
    drop = sorted(n for n in current if not is_temporary(n))
    waiting = _waiting(inbox, current, previous, drop)
    if waiting or not drop:
        return InboxTick(current, waiting=waiting)
    batch_id = f"{now:%Y%m%d-%H%M%S}-{_digest(current, drop)}"
    remaining = {n: seen for n, seen in current.items() if n not in drop}
    unexpected = {n: reason for n in drop if n != MARKER and (reason := unexpected_reason(n))}
    if unexpected:
        folder = _move(inbox, drop, inbox / REJECTED / batch_id)
        _write_report(folder, _unexpected_report(inbox, drop, unexpected, now))
        return InboxTick(remaining, rejected=folder)
    return InboxTick(remaining, claimed=_move(inbox, drop, inbox / BATCHES / batch_id))


def _waiting(inbox: Path, current: Snapshot, previous: Snapshot, drop: list[str]) -> tuple[str, ...]:
    """'<file>: <why>' for every file that is not complete yet."""
    changed = [f"{n}: still changing" for n, seen in sorted(current.items()) if previous.get(n) != seen]
    if changed:
        return tuple(changed)
    waiting = []
    if MARKER not in current:
        quiet = Settings.resolve().inbox_quiet_seconds
        for name in drop:
            age = time.time() - current[name][1] / 1e9
            if age < quiet:
                waiting.append(f"{name}: changed {max(age, 0):.0f} s ago, waiting for {quiet:.0f} s without change")
    for name in drop:
        reason = unfinished_reason(inbox / name)
        if reason:
            waiting.append(f"{name}: {reason}; left alone until the copy is complete")
    return tuple(waiting)


def claimed_batches(inbox: Path) -> list[Path]:
    """Every batch folder waiting in .batches/ (claimed, not yet archived or rejected), oldest first."""
    folder = inbox / BATCHES
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def batch_folder(batch_dir: str, batch_id: str) -> Path | None:
    """The batch folder a run loaded, if it is an inbox batch of that id still waiting in .batches/."""
    path = Path(batch_dir)
    if not batch_dir or path.name != batch_id or path.parent.name != BATCHES or not path.is_dir():
        return None
    return path


def archive_batch(batch: Path, run_id: str, loads: list[str], now: datetime) -> Path:
    """Move a loaded batch to archive/<run_id>/ with a REPORT.txt of what was loaded."""
    inbox = batch.parent.parent
    folder = _rename(batch, inbox / ARCHIVE / run_id)
    lines = [f"Loaded into valuedata on {now:%Y-%m-%d %H:%M} UTC (batch {batch.name}, Dagster run {run_id}).",
             "", *(loads or ["Row counts: see audit.loads and audit.quarantine in the warehouse."]), "",
             "This folder is a record of what was loaded; valuedata never reads it again."]
    _write_report(folder, "\n".join(lines))
    return folder


def reject_batch(batch: Path, run_id: str, problems: list[str], now: datetime) -> Path:
    """Move a batch whose run failed to rejected/<run_id>/ with a REPORT.txt of what failed and how to resubmit."""
    inbox = batch.parent.parent
    problems = [p.replace(f"{batch}/", "") for p in problems]
    folder = _rename(batch, inbox / REJECTED / run_id)
    lines = [f"These files were NOT loaded into valuedata ({now:%Y-%m-%d %H:%M} UTC, batch {batch.name}).",
             "Nothing in the warehouse changed: dashboards and analysts still see the last good data.", "",
             "What went wrong:", *_bullets(problems or ["the run stopped without saying why; see the run below"]), "",
             *_resubmit(inbox, _files(folder)), "",
             f"For IT: Dagster run {run_id} has the full log."]
    _write_report(folder, "\n".join(lines))
    return folder


def load_summary(warehouse: Path, run_id: str, batch_id: str) -> list[str]:
    """Rows read / loaded / set aside per file of a batch, and the first rows set aside, from the warehouse."""
    try:
        with open_current(warehouse) as conn:
            loads = conn.execute(
                "SELECT file, rows_read, rows_loaded, rows_quarantined FROM audit.loads "
                "WHERE run_id = ? AND contains(file, ?) ORDER BY file", [run_id, batch_id]).fetchall()
            rejected = conn.execute(
                "SELECT file, line, coalesce(detail, rule) FROM audit.quarantine "
                "WHERE run_id = ? AND contains(file, ?) ORDER BY file, line", [run_id, batch_id]).fetchall()
    except (duckdb.Error, ValuedataError) as exc:
        return [f"Row counts could not be read from {warehouse} ({exc}); see audit.loads there."]
    lines = [f"  {Path(f).name}: {read:,} rows read, {loaded:,} loaded, {held:,} set aside"
             for f, read, loaded, held in loads]
    if rejected:
        lines += ["", f"{len(rejected):,} row(s) were set aside because they break a rule; fix them in the CRM "
                  "and export again (all rows: valuedata sql \"SELECT * FROM audit.quarantine\"):"]
        lines += [f"  {Path(f).name} line {line}: {why}" for f, line, why in rejected[:MAX_LISTED_ROWS]]
        if len(rejected) > MAX_LISTED_ROWS:
            lines.append(f"  … and {len(rejected) - MAX_LISTED_ROWS:,} more")
    return lines


def _digest(current: Snapshot, names: list[str]) -> str:
    text = "\n".join(f"{n}\t{current[n][0]}\t{current[n][1]}" for n in names)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _move(inbox: Path, names: list[str], folder: Path) -> Path:
    for name in names:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(inbox / name, target)
    return folder


def _rename(source: Path, target: Path) -> Path:
    if target.exists():
        raise ValuedataError(f"{target} already exists; {source} was left where it is")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(source, target)
    return target


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != REPORT)


def _bullets(lines: list[str]) -> list[str]:
    return [f"  - {line}".replace("\n", "\n    ") for line in lines]


def _resubmit(inbox: Path, files: list[str]) -> list[str]:
    return ["How to resubmit:",
            f"  1. Correct the files in this folder ({', '.join(files)}) as described above,",
            "     or export them again from the CRM.",
            f"  2. Copy the corrected files (not this REPORT.txt) into the inbox: {inbox.resolve()}",
            "     Files already loaded before are recognised and skipped, so dropping the whole set again is fine.",
            "  3. valuedata picks them up within a minute or two. This folder is kept for reference only."]


def _unexpected_report(inbox: Path, drop: list[str], unexpected: dict[str, str], now: datetime) -> str:
    lines = [f"These files were NOT loaded into valuedata ({now:%Y-%m-%d %H:%M} UTC):",
             "the drop contained file(s) valuedata does not read.", "",
             "What went wrong:", *_bullets([f"{name}: {reason}" for name, reason in unexpected.items()]), "",
             f"valuedata reads {EXPECTED}.",
             "None of the files of this drop were loaded, so that they can be loaded together once named right.", "",
             *_resubmit(inbox, drop)]
    return "\n".join(lines)


def _write_report(folder: Path, text: str) -> None:
    (folder / REPORT).write_text(text + "\n", encoding="utf-8")
