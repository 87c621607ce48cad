"""Convert any CSV export into native tables with a mapping file (`--source mapping.yaml`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from valuedata.errors import InputError, Problem
from valuedata.sources import native
from valuedata.sources.config import load_config
from valuedata.sources.csvread import ExportFile, encoding_notes, find, header_problem, read_export
from valuedata.sources.exprs import id_list, iso_date, plain_number, relabel, slug
from valuedata.sources.mapping_file import DATE_COLUMNS, Lookup, Mapping, Source, TableSpec, spec_problems


def convert(input_dir: Path, mapping_path: Path) -> tuple[native.Converted, Path]:
    """The native tables made by the mapping file, and the value-maps folder it names."""
    path = _locate(mapping_path, input_dir)
    mapping, problems = load_config(path, Mapping)
    if mapping is None:
        raise InputError(problems)
    problems = [Problem(path.name, *p) for name in native.TABLES if (spec := getattr(mapping, name))
                for p in spec_problems(name, spec)]
    if problems:
        raise InputError(problems)
    tables: dict[str, pl.DataFrame] = {}
    audit: list[dict] = []
    exports: list[ExportFile] = []
    for name in native.TABLES:
        spec = getattr(mapping, name)
        if spec is None:
            continue
        made, rows, read, table_problems = _table(input_dir, path.name, name, spec)
        problems += table_problems
        audit += rows
        exports += read
        if made is not None:
            tables[name] = made
    if problems:
        raise InputError(problems)
    converted = _assemble(tables, mapping, audit)
    converted.notes += encoding_notes(exports)
    maps_dir = Path(mapping.maps) if Path(mapping.maps).is_absolute() else input_dir / mapping.maps
    return converted, maps_dir


def _locate(mapping_path: Path, input_dir: Path) -> Path:
    """The mapping file as given, or beside the export; a Problem when neither exists."""
    for candidate in (mapping_path, input_dir / mapping_path):
        if candidate.is_file():
            return candidate
    raise InputError([Problem(str(mapping_path), "file", "the mapping file does not exist",
                              "pass --source with the path of your mapping .yaml (see docs/sources.md)")])


def _assemble(tables: dict[str, pl.DataFrame], mapping: Mapping, audit: list[dict]) -> native.Converted:
    """Deals, reps (made from deal owners when no reps table is mapped) and engagements."""
    notes = []
    if "reps" in tables:
        reps = native.table(tables["reps"], "reps")
    else:
        names = pl.col("owner") if mapping.deals.owner_names else None
        reps = native.synthesised_reps(tables["deals"], names)
        notes.append(f"no reps table mapped: reps were made from the {reps.height} distinct deal owners "
                     "(no team, manager or region)")
    attributes = tuple(c for c in mapping.deals.sources() if c not in native.DEALS)
    deals = native.table(tables["deals"], "deals", attributes)
    notes += native.open_deal_note(deals)
    engagements = native.table(tables["engagements"], "engagements") if "engagements" in tables \
        else native.empty("engagements")
    return native.Converted(native.close_open_deals(deals), reps, engagements, audit, notes)


def _table(input_dir: Path, mapping_name: str, name: str, spec: TableSpec,
           ) -> tuple[pl.DataFrame | None, list[dict], list[ExportFile], list[Problem]]:
    """One native table from every file matching its spec; audit rows, files read, problems."""
    paths = find(input_dir, spec.file)
    if not paths:
        if spec.optional:
            return None, [], [], []
        return None, [], [], [Problem(mapping_name, f"{name}.file", f"'{spec.file}' matches no file in {input_dir}",
                                      "fix the name or glob (it is relative to the input folder), "
                                      "or set `optional: true`")]
    exports, problems = _read(input_dir, paths, spec)
    needed = sorted({*spec.columns.values(), *spec.ignore, *(lk.key for lk in spec.lookups)}, key=str.lower)
    problems += [header_problem(e, missing, f"fix {name}.columns in {mapping_name}, or export the column")
                 for e in exports if (missing := e.missing(needed))]
    lookups, lookup_problems = _read_lookups(input_dir, mapping_name, name, spec.lookups)
    problems += lookup_problems
    if problems:
        return None, [], [], problems
    frames, audit, used = [], [], [[] for _ in lookups]
    for export in exports:
        frame = export.frame
        for index, (lookup, _, lookup_frame) in enumerate(lookups):
            frame = frame.join(lookup_frame, left_on=lookup.key.lower(),
                               right_on=f"lookup{index}.{lookup.lookup_key.lower()}", how="left")
        kept, row = native.split_ignored(export, _ignore_reason(spec), frame)
        frames.append(kept.select(*_targets(spec), *native.LINEAGE))
        audit.append(row)
        for index, (lookup, _, _) in enumerate(lookups):
            used[index].append(kept.get_column(lookup.key.lower()))
    audit += [native.lookup_audit(lookup_export, lookup.lookup_key.lower(), pl.concat(keys))
              for (lookup, lookup_export, _), keys in zip(lookups, used)]
    made = _transform(pl.concat(frames, how="diagonal"), name, spec)
    return made, audit, exports + [e for _, e, _ in lookups], []


def _read(input_dir: Path, paths: list[Path], source: Source) -> tuple[list[ExportFile], list[Problem]]:
    """Read every path with the source's delimiter and encoding."""
    exports, problems = [], []
    for path in paths:
        export, file_problems = read_export(path, path.relative_to(input_dir).as_posix(), source.delimiter,
                                            source.encoding)
        problems += file_problems
        if export is not None:
            exports.append(export)
    return exports, problems


def _read_lookups(input_dir: Path, mapping_name: str, name: str, lookups: list[Lookup],
                  ) -> tuple[list[tuple[Lookup, ExportFile, pl.DataFrame]], list[Problem]]:
    """Each lookup file as a frame of `lookup<i>.<column>` columns, one row per key."""
    read, problems = [], []
    for index, lookup in enumerate(lookups):
        where = f"{name}.lookups[{index}].file"
        paths = find(input_dir, lookup.file)
        if len(paths) != 1:
            problems.append(Problem(mapping_name, where, f"'{lookup.file}' matches {len(paths)} files, not one",
                                    "name exactly one file"))
            continue
        exports, file_problems = _read(input_dir, paths, lookup)
        problems += file_problems
        if not exports:
            continue
        missing = exports[0].missing([lookup.lookup_key, *lookup.columns.values()])
        if missing:
            problems.append(header_problem(exports[0], missing, f"fix {name}.lookups[{index}] in {mapping_name}"))
            continue
        frame = native.prefixed(exports[0].frame, f"lookup{index}")
        key = f"lookup{index}.{lookup.lookup_key.lower()}"
        read.append((lookup, exports[0], frame.unique(key, keep="first", maintain_order=True)))
    return read, problems


def _ignore_reason(spec: TableSpec) -> pl.Expr:
    """`column=value` for rows whose column holds one of the values listed under `ignore`."""
    reason = pl.lit(None, pl.Utf8)
    for column, values in reversed(spec.ignore.items()):
        value = pl.col(column.lower())
        hit = value.str.to_lowercase().is_in([v.lower() for v in values])
        reason = pl.when(hit).then(pl.format("{}={}", pl.lit(column), value)).otherwise(reason)
    return reason


def _targets(spec: TableSpec) -> list[pl.Expr]:
    """Each target column from its export column, lookup column or constant."""
    exprs = [pl.col(source.lower()).alias(target) for target, source in spec.columns.items()]
    exprs += [pl.lit(value, pl.Utf8).alias(target) for target, value in spec.constants.items()]
    exprs += [pl.col(f"lookup{index}.{source.lower()}").alias(target)
              for index, lookup in enumerate(spec.lookups) for target, source in lookup.columns.items()]
    return exprs


def _transform(frame: pl.DataFrame, name: str, spec: TableSpec) -> pl.DataFrame:
    """Relabel values, then normalise dates, amounts, id lists and owner names."""
    cols = frame.columns
    frame = frame.with_columns(relabel(pl.col(c), mapping).alias(c) for c, mapping in spec.values.items())
    frame = frame.with_columns(iso_date(pl.col(c), spec.date_format) for c in DATE_COLUMNS[name] if c in cols)
    frame = frame.with_columns(id_list(pl.col(c), spec.list_separator) for c in native.TAG_KINDS if c in cols)
    if "amount" in cols:
        frame = frame.with_columns(plain_number(pl.col("amount"), spec.decimal))
    if spec.owner_names:
        frame = frame.with_columns(owner=pl.col("rep_id"), rep_id=slug(pl.col("rep_id")))
        if name == "reps":
            given = [pl.col("name")] if "name" in cols else []
            frame = frame.with_columns(name=pl.coalesce(*given, pl.col("owner")))
    return frame
