"""The native folder a converted export becomes: contract tables, lineage, audit, notes."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from valuedata.sources.csvread import FILE, LINE, ExportFile

DEALS = ("deal_id", "account_id", "account_name", "segment", "rep_id", "amount", "currency",
         "created_at", "closed_at", "outcome")
REPS = ("rep_id", "name", "team", "manager", "region", "hired_at")
ENGAGEMENTS = ("engagement_id", "deal_id", "occurred_at", "contact_id", "contact_title", "role_id",
               "channel", "value_propositions", "issues", "questions", "notes")
TABLES = {"deals": DEALS, "reps": REPS, "engagements": ENGAGEMENTS}
REQUIRED = {"deals": ("deal_id", "account_id", "segment", "rep_id", "created_at", "outcome"),
            "reps": ("rep_id",),
            "engagements": ("engagement_id", "deal_id", "occurred_at")}
TAG_KINDS = ("value_propositions", "issues", "questions")
LINEAGE = (FILE, LINE)
AUDIT_SCHEMA = {"file": pl.Utf8, "sha256": pl.Utf8, "rows_read": pl.Int64, "rows_converted": pl.Int64,
                "rows_ignored": pl.Int64, "ignored_reason": pl.Utf8}
NO_ENGAGEMENTS = ("no engagements in this export: coverage, role/value-proposition/question drivers and "
                  "rep behaviour gaps cannot be computed; deal-level drivers and rep scorecards still can")


@dataclass
class Converted:
    """What a converter made: the three tables, one audit row per file read, and notes."""

    deals: pl.DataFrame
    reps: pl.DataFrame
    engagements: pl.DataFrame
    audit: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def table(frame: pl.DataFrame, name: str, attributes: tuple[str, ...] = ()) -> pl.DataFrame:
    """The contract columns of `name` (missing ones empty), then attributes, then lineage; all text."""
    wanted = list(TABLES[name]) + [a for a in attributes if a not in TABLES[name]] + list(LINEAGE)
    return frame.select(
        pl.col(c).cast(pl.Utf8) if c in frame.columns else pl.lit(None, dtype=pl.Utf8).alias(c)
        for c in wanted
    )


def empty(name: str) -> pl.DataFrame:
    """An empty contract table with its lineage columns."""
    return pl.DataFrame(schema={c: pl.Utf8 for c in TABLES[name] + LINEAGE})


def close_open_deals(deals: pl.DataFrame) -> pl.DataFrame:
    """Clear closed_at on open deals: an open deal's close date is only expected."""
    is_open = pl.col("outcome").str.strip_chars().str.to_lowercase() == "open"
    return deals.with_columns(pl.when(is_open).then(None).otherwise(pl.col("closed_at")).alias("closed_at"))


def split_ignored(export: ExportFile, reason: pl.Expr, frame: pl.DataFrame | None = None,
                  ) -> tuple[pl.DataFrame, dict]:
    """Rows whose `reason` is null, and the file's audit row counting the others by reason."""
    frame = export.frame if frame is None else frame
    reasons = frame.with_columns(reason.alias("_reason")).get_column("_reason")
    return frame.filter(reasons.is_null()), audit_row(export, reasons)


def audit_row(export: ExportFile, reasons: pl.Series) -> dict:
    """One audit row: rows read, converted and ignored (with counts per reason)."""
    ignored = reasons.len() - reasons.null_count()
    counts = reasons.drop_nulls().value_counts(sort=True, name="n")
    text = "; ".join(f"{reason}: {n}" for reason, n in counts.iter_rows())
    return {"file": export.name, "sha256": export.sha256, "rows_read": reasons.len(),
            "rows_converted": reasons.len() - ignored, "rows_ignored": ignored,
            "ignored_reason": text or None}


def lookup_audit(export: ExportFile | None, key: str, used: pl.Series,
                 deleted: pl.Expr | None = None) -> dict | None:
    """Audit of a lookup file: a row is converted when some converted row refers to it."""
    if export is None:
        return None
    unused = pl.when(~pl.col(key).is_in(used.drop_nulls().implode())).then(
        pl.lit("not referred to by any converted row"))
    reason = unused if deleted is None else pl.when(deleted).then(pl.lit("IsDeleted=true")).otherwise(unused)
    return split_ignored(export, reason)[1]


def prefixed(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """A lookup's columns renamed `prefix.column`, lineage dropped."""
    return frame.select(pl.col(c).alias(f"{prefix}.{c}") for c in frame.columns if not c.startswith("_"))


def open_deal_note(deals: pl.DataFrame) -> list[str]:
    """A note when open deals carry a close date (it is only expected, so it is not closed_at)."""
    is_open = pl.col("outcome").str.strip_chars().str.to_lowercase() == "open"
    count = deals.filter(is_open & pl.col("closed_at").is_not_null()).height
    return [f"{count} open deals carry a close date: it is only the expected close, so closed_at is left empty"
            ] if count else []


def missing_required_note(deals: pl.DataFrame) -> list[str]:
    """A note counting deals that lack a required value (the ingest will quarantine them)."""
    counts = deals.select(pl.col(c).is_null().sum() for c in REQUIRED["deals"]).row(0, named=True)
    missing = "; ".join(f"{column}: {n}" for column, n in counts.items() if n)
    return [f"deals without a required value will be quarantined ({missing})"] if missing else []


def synthesised_reps(deals: pl.DataFrame, names: pl.Expr | None = None) -> pl.DataFrame:
    """One rep per distinct deals.rep_id, with lineage to the first deal that names it."""
    name = (names if names is not None else pl.lit(None, dtype=pl.Utf8)).alias("name")
    reps = deals.filter(pl.col("rep_id").is_not_null()).select("rep_id", name, *LINEAGE)
    return table(reps.unique("rep_id", keep="first", maintain_order=True), "reps")


def write(converted: Converted, maps_dir: Path, work_dir: Path) -> tuple[Path, list[str]]:
    """Write the native folder into `work_dir/native`; notes about what it lacks."""
    out = work_dir / "native"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    notes = []
    if maps_dir.is_dir():
        shutil.copytree(maps_dir, out / "maps")
    else:
        notes.append(f"no value maps folder at {maps_dir}: put the customer value maps there "
                     "(maps/*.yaml beside the export)")
    for name in TABLES:
        getattr(converted, name).write_parquet(out / f"{name}.parquet")
    if converted.engagements.is_empty():
        notes.append(NO_ENGAGEMENTS)
    return out, notes


def audit_frame(rows: list[dict]) -> pl.DataFrame:
    """The source audit, one row per export file read (a file read twice keeps its fuller row)."""
    frame = pl.DataFrame(rows, schema=AUDIT_SCHEMA).with_row_index("order")
    fullest = frame.sort("rows_converted", descending=True).unique("file", keep="first")
    return fullest.sort("order").drop("order")
