"""`valuedata run`: materialise every asset once, in process, through the same Definitions as `dagster dev`."""

import os
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

from pipelines.assets.publish import PUBLISH_KEY
from pipelines.definitions import defs
from pipelines.progress import progress_logger
from valuedata.config import Settings
from valuedata.errors import error_chain, is_ours, plain_error
from valuedata.warehouse.lifecycle import open_current
from valuedata.warehouse.refit import refit_status
from valuedata.warehouse.sql import fetch_one

PROJECT_DAGSTER_HOME = Path(__file__).resolve().parents[1] / ".dagster_home"  # the one `make dev` uses
INSTANCE_SETTINGS = "telemetry:\n  enabled: false\n"  # the dagster.yaml of an instance `valuedata run` creates


@dataclass
class RunOutcome:
    """Whether the run succeeded, why not, and what to tell the user."""

    success: bool
    failure: str | None = None
    summary: list[str] = field(default_factory=list)


def run_pipeline(settings: Settings, full_rebuild: bool = False, nightly: bool = False) -> RunOutcome:
    """Run the `weekly_refit` job (every asset), or with `nightly` the `nightly` job, on `settings`; the published
    warehouse changes only if every step passes. `full_rebuild` recomputes every core row from the raw layer,
    not only what the new files change."""
    job = defs.resolve_job_def("nightly" if nightly else "weekly_refit").with_logger_defs({"progress": progress_logger})
    config = {"input_dir": str(settings.input_dir), "warehouse": str(settings.warehouse),
              "dashboards": str(settings.dashboards), "source": settings.source,
              "batch_dir": str(settings.batch_dir or ""), "full_rebuild": full_rebuild}
    with DagsterInstance.from_config(str(dagster_home())) as instance:
        result = job.execute_in_process(
            run_config={"loggers": {"progress": {}}, "resources": {"warehouse": {"config": config}}},
            instance=instance, raise_on_error=False)
        failures = [_failure_text(e) for e in result.all_events
                    if e.event_type in (DagsterEventType.STEP_FAILURE, DagsterEventType.RESOURCE_INIT_FAILURE)]
        checks = [e.event_specific_data for e in result.all_events
                  if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION and not e.event_specific_data.passed
                  and e.event_specific_data.blocking]
    if not result.success or failures or checks:
        reasons = failures + [f"blocking check {c.check_name} on {'/'.join(c.asset_key.path)} failed" for c in checks]
        published = any(e.event_type == DagsterEventType.ASSET_MATERIALIZATION and e.asset_key == PUBLISH_KEY
                        for e in result.all_events)
        after = ("the warehouse was published; a step after it failed" if published
                 else "the published warehouse was not changed")
        return RunOutcome(False, "\n".join(reasons) + "\n" + after)
    return RunOutcome(True, summary=_summary(settings))


def dagster_home() -> Path:
    """Where `valuedata run` records its runs, so that the Dagster UI shows them: $DAGSTER_HOME, else the
    repository's .dagster_home/ (the instance `make dev` serves), created with telemetry off."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    PROJECT_DAGSTER_HOME.mkdir(parents=True, exist_ok=True)
    settings = PROJECT_DAGSTER_HOME / "dagster.yaml"
    if not settings.exists():
        settings.write_text(INSTANCE_SETTINGS, encoding="utf-8")
    return PROJECT_DAGSTER_HOME


def _failure_text(event) -> str:
    """What went wrong in a failed step or a resource that could not start (the build lock, the staging copy):
    our own error's message when there is one, else the root cause."""
    data = event.step_failure_data if event.event_type == DagsterEventType.STEP_FAILURE else event.event_specific_data
    chain = error_chain(getattr(data, "error", None))
    where = f"step {event.step_key}" if event.step_key else "starting the run"
    if is_ours(chain):
        return plain_error(chain)
    return f"{where} failed: {plain_error(chain)}" if chain else f"{where} failed"


def _summary(settings: Settings) -> list[str]:
    lines = []
    with open_current(settings.warehouse) as conn:
        run_id = fetch_one(conn, "SELECT run_id FROM audit.runs ORDER BY started_at DESC LIMIT 1")[0]
        for file, read, loaded, quarantined in conn.execute(
                "SELECT file, rows_read, rows_loaded, rows_quarantined FROM audit.loads WHERE run_id = ? "
                "ORDER BY table_name", [run_id]).fetchall():
            lines.append(f"  {file}: {read:,} rows read, {loaded:,} loaded, {quarantined:,} quarantined")
        recomputed = conn.execute("SELECT relation, full_rebuild, reason, ids FROM audit.recomputed WHERE run_id = ? "
                                  "ORDER BY rowid", [run_id]).fetchall()
        if recomputed:
            counts = ", ".join(f"{relation} {ids:,}" for relation, _, _, ids in recomputed)
            how = "full rebuild" if recomputed[0][1] else "ids recomputed"
            lines.append(f"  {how} ({recomputed[0][2]}): {counts}")
        lines.append(f"models: {refit_status(conn).sentence()}")
        segments = [s for (s,) in conn.execute(
            "SELECT segment FROM core.value_maps WHERE segment <> '*' ORDER BY segment").fetchall()]
    lines.append(f"warehouse:  {settings.warehouse.resolve()}")
    lines.append("  query it: valuedata sql \"SELECT * FROM analytics.deal_coverage LIMIT 5\"")
    lines.append("  rejected rows: valuedata sql \"SELECT file, line, rule, detail FROM audit.quarantine\"")
    if segments:
        lines.append(f"  playbook: valuedata playbook --segment {segments[0]}   (segments: {', '.join(segments)})")
    lines.append("  coaching: valuedata coach REP_ID   (reps: valuedata sql \"SELECT * FROM analytics.rep_scorecard\")")
    dashboards = settings.dashboards / "index.html"
    if dashboards.exists():
        lines.append(f"dashboards: {dashboards.resolve()}")
    return lines
