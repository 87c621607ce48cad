"""The `valuedata` command line: run the pipeline, check inputs, query the warehouse, generate data."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from valuedata.config import Settings
from valuedata.errors import ValuedataError

app = typer.Typer(
    help="valuedata links customer value maps to sales outcomes: which key players, value propositions, "
         "issues and questions go with winning deals, and why some reps outperform others.\n\n"
         "Start with `valuedata run` (uses the worked example in seeds/), then `valuedata sql` to explore.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 240)

InputOpt = Annotated[Optional[Path], typer.Option("--input", help="Input folder: maps/, deals.csv, reps.csv, engagements.csv. Default: $VALUEDATA_INPUT or seeds/.", show_default=False)]
WarehouseOpt = Annotated[Optional[Path], typer.Option("--warehouse", help="DuckDB warehouse file. Default: $VALUEDATA_WAREHOUSE or warehouse/valuedata.duckdb.", show_default=False)]
DashboardsOpt = Annotated[Optional[Path], typer.Option("--dashboards", help="Folder for the HTML dashboards. Default: $VALUEDATA_DASHBOARDS or dashboards/out.", show_default=False)]
SourceOpt = Annotated[Optional[str], typer.Option("--source", help="What the input folder holds: native (the contract's files), salesforce, hubspot, or a path to a mapping YAML. Default: native.", show_default=False)]


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@app.command()
def run(input_dir: InputOpt = None, warehouse: WarehouseOpt = None, dashboards: DashboardsOpt = None,
        source: SourceOpt = None,
        nightly: Annotated[bool, typer.Option("--nightly", help="Run the nightly job instead of every asset: load "
                                              "the new files, recompute what they change, score open deals with "
                                              "the win models stored by the last full run (no refit), rebuild the "
                                              "dashboards and publish.")] = False,
        full: Annotated[bool, typer.Option("--full", help="Recompute every core row, the quarantine and the "
                                           "coverage from all files ever loaded, instead of only the ids the new "
                                           "files change (a changed value map does this by itself).")] = False) -> None:
    """Run the whole pipeline once: validate and load the inputs, compute every analysis, write the
    dashboards, and publish the warehouse. Exits 0 only when every step and blocking check passed;
    on failure the previously published warehouse is left exactly as it was. Files loaded before are
    skipped, and only the deals, engagements and reps the new files change are checked again. With
    --nightly, the win models are not refitted: open deals are scored with the stored ones."""
    from pipelines.run import run_pipeline

    settings = Settings.resolve(input_dir, warehouse, dashboards, source)
    err.print(f"valuedata: running on [bold]{settings.input_dir}[/] → {settings.warehouse}", highlight=False)
    try:
        outcome = run_pipeline(settings, full_rebuild=full, nightly=nightly)
    except ValuedataError as exc:
        _fail(str(exc))
    for line in outcome.summary:
        out.print(line, highlight=False)
    if not outcome.success:
        _fail(outcome.failure or "the run failed; the published warehouse was not changed")


@app.command()
def validate(input_dir: InputOpt = None, source: SourceOpt = None) -> None:
    """Check the inputs against the data contract without writing anything, and report every problem:
    unreadable files and broken maps (which would stop a run) and rows that would be quarantined.

    Exit codes: 0 the inputs are valid (a run would quarantine nothing); 1 a problem was found (a run
    would stop, or some rows would be quarantined: the report says which); 2 the command was misused
    (an unknown option)."""
    from valuedata.ingest.validate import validate_input

    settings = Settings.resolve(input_dir, source=source)
    try:
        report = validate_input(settings.input_dir, settings.source)
    except ValuedataError as exc:
        _fail(str(exc))
    for line in report.lines():
        out.print(line, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def sql(query: Annotated[str, typer.Argument(help="A SQL query, e.g. \"SELECT * FROM analytics.driver_effects LIMIT 5\".")],
        warehouse: WarehouseOpt = None,
        fmt: Annotated[str, typer.Option("--format", help="table (for people), csv or json (for machines).")] = "table",
        limit: Annotated[int, typer.Option(help="Most rows to print as a table (csv/json print all).")] = 200) -> None:
    """Run a read-only query against the published warehouse and print the result.

    Works while the pipeline runs: a run builds a new file and swaps it in atomically."""
    from valuedata.warehouse.query import print_query

    settings = Settings.resolve(warehouse=warehouse)
    if fmt not in ("table", "csv", "json"):
        _fail(f"--format {fmt!r} is not one of table, csv, json")
    try:
        print_query(settings.warehouse, query, fmt, limit, out)
    except ValuedataError as exc:
        _fail(str(exc))


@app.command()
def generate(out_dir: Annotated[Path, typer.Option("--out", help="Folder to write maps/, deals.csv, reps.csv, engagements.csv and _truth/ into.")],
             deals: Annotated[int, typer.Option(help="How many deals.")] = 4000,
             seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")] = 42,
             world: Annotated[str, typer.Option(help="planted (documented drivers and rep habits), noise (outcomes are coin flips) or flat_reps (drivers, but every rep behaves alike).")] = "planted",
             bad_rows: Annotated[int, typer.Option(help="How many rule-breaking rows to mix in (listed in _truth/bad_rows.csv).")] = 0,
             notes_share: Annotated[float, typer.Option(help="A notes world: every engagement's notes name its items, and this share of engagements has blank tag fields (e.g. 0.7).")] = 0.0,
             notes_wording: Annotated[str, typer.Option(help="shared, or split: notes-only engagements use wording the field-tagged ones never do.")] = "shared") -> None:
    """Generate a realistic CRM dataset with known, planted effects (see docs/generator.md)."""
    from valuedata.generate import generate as make

    summary = make(out_dir, deals=deals, seed=seed, world=world, bad_rows=bad_rows, notes_share=notes_share,
                   notes_wording=notes_wording,
                   progress=lambda msg: err.print(f"  {msg}", highlight=False))
    out.print(f"wrote {out_dir}: {summary}", highlight=False)


@app.command()
def playbook(segment: Annotated[str, typer.Option("--segment", help="The segment, e.g. discrete-manufacturing (see core.value_maps).")],
             role: Annotated[Optional[str], typer.Option("--role", help="Only this role: a role_id or its title.")] = None,
             fmt: Annotated[str, typer.Option("--format", help="md (printed) or html (written to --out).")] = "md",
             out_file: Annotated[Optional[Path], typer.Option("--out", help="File for the html playbook. Default: playbook-<segment>[-<role>].html.")] = None,
             warehouse: WarehouseOpt = None) -> None:
    """The value map as a sales playbook ranked by evidence: the key players to reach, the questions to
    ask and the value propositions to present, each with what the won and lost deals say about it."""
    from valuedata.playbook_report import render_playbook
    from valuedata.warehouse.lifecycle import open_current

    if fmt not in ("md", "html"):
        _fail(f"--format {fmt!r} is not md or html")
    settings = Settings.resolve(warehouse=warehouse)
    try:
        with open_current(settings.warehouse) as conn:
            text = render_playbook(conn, segment, role, fmt)
    except ValuedataError as exc:
        _fail(str(exc))
    if fmt == "md":
        sys.stdout.write(text)
        return
    target = out_file or Path(f"playbook-{segment}{'-' + role if role else ''}.html")
    target.write_text(text, encoding="utf-8")
    out.print(f"wrote {target.resolve()}", highlight=False)


@app.command()
def coach(rep_id: Annotated[str, typer.Argument(help="The rep to coach, e.g. r07 (see core.reps).")],
          warehouse: WarehouseOpt = None) -> None:
    """A rep's top three gaps to the top performers, in the map's own words: the key player to reach,
    the question to ask, the value proposition to present, and what each gap costs in win rate."""
    from valuedata.analysis.coaching import coaching_for, coaching_verdict
    from valuedata.warehouse.lifecycle import open_current

    settings = Settings.resolve(warehouse=warehouse)
    try:
        with open_current(settings.warehouse) as conn:
            lines, verdict = coaching_for(conn, rep_id), coaching_verdict(conn)
    except ValuedataError as exc:
        _fail(str(exc))
    if verdict:
        out.print(f"Do reps differ? {verdict}", highlight=False)
    out.print(f"Coaching for {rep_id}:", highlight=False)
    for number, line in enumerate(lines, 1):
        out.print(f"  {number}. {line}", highlight=False)


map_app = typer.Typer(help="Edit value maps in Excel: export the YAML maps to a workbook, import an edited workbook back.",
                      no_args_is_help=True)
app.add_typer(map_app, name="map")


@map_app.command("export")
def map_export(xlsx: Annotated[Path, typer.Option("--xlsx", help="Workbook to write (one sheet per kind; see docs/sources.md).")],
               input_dir: InputOpt = None) -> None:
    """Write the input folder's value maps (maps/*.yaml) to an Excel workbook for editing."""
    from valuedata.maps.excel import export_workbook

    settings = Settings.resolve(input_dir)
    try:
        path = export_workbook(settings.input_dir / "maps", xlsx)
    except ValuedataError as exc:
        _fail(str(exc))
    out.print(f"wrote {path}", highlight=False)


@map_app.command("import")
def map_import(xlsx: Annotated[Path, typer.Argument(help="An edited workbook made by `valuedata map export`.")],
               input_dir: InputOpt = None) -> None:
    """Read an edited workbook back into maps/*.yaml, with the same validation as a run (nothing is
    written if any problem is found; problems name the sheet, row and column)."""
    from valuedata.maps.excel import import_workbook

    settings = Settings.resolve(input_dir)
    try:
        paths = import_workbook(xlsx, settings.input_dir / "maps")
    except ValuedataError as exc:
        _fail(str(exc))
    for path in paths:
        out.print(f"wrote {path}", highlight=False)


def main() -> None:
    """Entry point that turns user errors into one clear line instead of a traceback."""
    try:
        app()
    except ValuedataError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
