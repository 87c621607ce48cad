"""`valuedata validate`: the whole ingest into a throw-away in-memory database, reporting every problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from valuedata.errors import InputError, Problem
from valuedata.ingest import steps
from valuedata.ingest.prepared import native_input
from valuedata.warehouse.sql import fetch_one, run_sql

EXAMPLES_PER_RULE = 3


@dataclass
class ValidationReport:
    """Fatal problems (a run would stop) and rows that a run would quarantine."""

    fatal: list[Problem] = field(default_factory=list)
    loads: list[steps.TableLoad] = field(default_factory=list)
    examples: list[tuple[str, int, str, str]] = field(default_factory=list)
    unmapped_titles: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.fatal and not any(load.rows_quarantined for load in self.loads)

    def lines(self) -> list[str]:
        """The report in plain language, problems first."""
        lines = [f"i {note}" for note in self.notes] + [f"✗ {p}" for p in self.fatal]
        if self.fatal:
            lines.append(f"{len(self.fatal)} problem(s) would stop a run; fix them first.")
        for load in self.loads:
            rules = ", ".join(f"{n} {rule}" for rule, n in load.rules.items())
            mark = "✓" if not load.rows_quarantined else "!"
            lines.append(f"{mark} {load.table}: {load.rows_read:,} rows, {load.rows_loaded:,} would load, "
                         f"{load.rows_quarantined:,} would be quarantined" + (f" ({rules})" if rules else ""))
        for file, line, rule, detail in self.examples:
            lines.append(f"    {file}:{line}: {rule}: {detail}")
        if self.unmapped_titles:
            lines.append(f"i {self.unmapped_titles} contact title(s) match no role's title_patterns "
                         "(they load with an empty role_id; see audit.unmapped_titles after a run)")
        if self.ok:
            lines.append("inputs are valid: nothing would be quarantined.")
        return lines


def _in_user_folder(problem: Problem, scratch: Path, input_dir: Path) -> Problem:
    """The problem with the scratch folder of a converted export replaced by the user's input folder."""
    if scratch == input_dir or not problem.file.startswith(str(scratch)):
        return problem
    return Problem(str(input_dir) + problem.file[len(str(scratch)):], problem.where, problem.problem, problem.fix)


def validate_input(input_dir: Path, source: str = "native") -> ValidationReport:
    """Check an input folder against the contract without writing anything."""
    report = ValidationReport()
    with native_input(input_dir, source) as prepared, duckdb.connect() as conn:
        report.notes = prepared.notes
        run_sql(conn, "schemas.sql")
        steps.set_run_variables(conn, "validate")
        for step in (lambda: steps.load_value_maps(conn, prepared.dir),
                     lambda: steps.load_raw_files(conn, prepared.dir, "validate")):
            try:
                step()
            except InputError as exc:
                report.fatal += exc.problems
        report.fatal = [_in_user_folder(p, prepared.dir, input_dir) for p in report.fatal]
        if report.fatal:
            return report
        report.loads = steps.load_checked_tables(conn)
        report.examples = conn.execute(
            "SELECT file, line, rule, detail FROM (SELECT *, row_number() OVER (PARTITION BY table_name, rule "
            f"ORDER BY line) AS k FROM audit.quarantine) WHERE k <= {EXAMPLES_PER_RULE} "
            "ORDER BY table_name, rule, line").fetchall()
        report.unmapped_titles = steps.build_unmapped_titles(conn)
        report.notes += [line for line in [_notes_summary(conn)] if line]
    return report


def _notes_summary(conn: duckdb.DuckDBPyConnection) -> str | None:
    """One line on core.engagements: how many engagements have notes, and how many a run would read
    from notes alone (no tag field filled); None without engagements."""
    total, with_notes, notes_only = fetch_one(conn, """
        SELECT count(*), count(*) FILTER (WHERE trim(coalesce(notes, '')) <> ''),
               count(*) FILTER (WHERE trim(coalesce(notes, '')) <> '' AND map_id IS NOT NULL
                                AND len(value_propositions) + len(issues) + len(questions) = 0)
        FROM core.engagements""")
    if not total:
        return None
    return (f"notes: {with_notes:,} of {total:,} engagements ({with_notes / total:.0%}) have notes; "
            f"{notes_only:,} ({notes_only / total:.0%}) have no tag field filled, so a run reads their value "
            "propositions, issues and questions from the notes (see analytics.tagging_quality)")
