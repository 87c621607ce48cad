"""Sensors for sales ops' inbox: load complete drops, then archive or reject them when their run ends."""

from datetime import datetime, timezone
from pathlib import Path

from dagster import (DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, DefaultSensorStatus,
                     RunFailureSensorContext, RunRequest, RunStatusSensorContext, SensorEvaluationContext,
                     SensorResult, SkipReason, run_failure_sensor, run_status_sensor, sensor)

from pipelines.jobs import nightly_job, weekly_refit_job
from valuedata import inbox
from valuedata.config import Settings
from valuedata.errors import error_chain, plain_error
from valuedata.warehouse.refit import published_refit_status

BATCH_TAG = "valuedata/batch"
SENSOR_INTERVAL_SECONDS = int(Settings.resolve().sensor_interval_seconds)  # fixed when the code location loads
_CHECK_FAILED = "DagsterAssetCheckFailedError"


@sensor(jobs=[nightly_job, weekly_refit_job], minimum_interval_seconds=SENSOR_INTERVAL_SECONDS, default_status=DefaultSensorStatus.RUNNING,
        description="Watches $VALUEDATA_INBOX (default inbox/): once dropped CRM exports are complete (unchanged "
                    "for $VALUEDATA_INBOX_QUIET_SECONDS, default 60, or a READY marker file is dropped, and no CSV "
                    "ends in an unfinished line), moves them to inbox/.batches/<batch_id>/ and runs `nightly` on them (`weekly_refit` while the warehouse has no "
                    "stored win models, or 10% more closed deals than they were trained on).")
def inbox_sensor(context: SensorEvaluationContext) -> SensorResult:
    """Claim a complete drop as a batch and request one `nightly` run per batch not requested yet."""
    folder = Settings.resolve().inbox
    cursor = inbox.InboxCursor.from_json(context.cursor)
    tick = inbox.check_inbox(folder, cursor.files, datetime.now(timezone.utc))
    if tick.rejected:
        context.log.warning(f"rejected a drop with files valuedata does not read: see {tick.rejected / inbox.REPORT}")
    batches = inbox.claimed_batches(folder)
    waiting_batches = [batch for batch in batches if batch.name not in cursor.requested]
    job = _job_for_batches() if waiting_batches else None
    requests = [_batch_run(batch, job) for batch in waiting_batches]
    next_cursor = inbox.InboxCursor(tick.snapshot, tuple(batch.name for batch in batches)).to_json()
    if requests:
        return SensorResult(run_requests=requests, cursor=next_cursor)
    waiting = f"waiting for {'; '.join(tick.waiting)}" if tick.waiting else f"nothing new in {folder}"
    return SensorResult(skip_reason=waiting, cursor=next_cursor)


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, name="inbox_archive",
                   minimum_interval_seconds=SENSOR_INTERVAL_SECONDS, default_status=DefaultSensorStatus.RUNNING,
                   description="Moves the inbox batch of a successful run to inbox/archive/<run_id>/ with a REPORT.txt.")
def inbox_archive(context: RunStatusSensorContext) -> SkipReason | None:
    """A batch loaded: file it under archive/ with the rows read, loaded and set aside."""
    run = context.dagster_run
    batch = _batch_of(run)
    if batch is None:
        return SkipReason(f"run {run.run_id} loaded no inbox batch")
    summary = inbox.load_summary(_warehouse_of(run), run.run_id, batch.name)
    folder = inbox.archive_batch(batch, run.run_id, summary, datetime.now(timezone.utc))
    context.log.info(f"batch {batch.name} loaded, archived in {folder}")
    return None


@run_failure_sensor(name="inbox_reject", minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
                    default_status=DefaultSensorStatus.RUNNING,
                    description="Moves the inbox batch of a failed run to inbox/rejected/<run_id>/ with a REPORT.txt "
                                "saying what failed and how to resubmit.")
def inbox_reject(context: RunFailureSensorContext) -> SkipReason | None:
    """A batch failed: file it under rejected/ with what went wrong, in the run's own words."""
    return _reject(context, _problems(context.instance, context.dagster_run.run_id))


@run_status_sensor(run_status=DagsterRunStatus.CANCELED, name="inbox_reject_canceled",
                   minimum_interval_seconds=SENSOR_INTERVAL_SECONDS, default_status=DefaultSensorStatus.RUNNING,
                   description="Moves the inbox batch of a canceled run to inbox/rejected/<run_id>/ with a REPORT.txt.")
def inbox_reject_canceled(context: RunStatusSensorContext) -> SkipReason | None:
    """A batch's run was canceled: file it under rejected/ so it is not stuck in .batches/."""
    return _reject(context, ["the run was canceled in Dagster before it finished; the files themselves may be fine"])


def _reject(context: RunStatusSensorContext, problems: list[str]) -> SkipReason | None:
    run = context.dagster_run
    batch = _batch_of(run)
    if batch is None:
        return SkipReason(f"run {run.run_id} loaded no inbox batch")
    folder = inbox.reject_batch(batch, run.run_id, problems, datetime.now(timezone.utc))
    context.log.warning(f"batch {batch.name} not loaded, moved to {folder}: {'; '.join(problems)}")
    return None


def _job_for_batches() -> str:
    """`nightly`, unless the published warehouse is due a refit of its win models (or has none yet)."""
    return weekly_refit_job.name if published_refit_status(Settings.resolve().warehouse).due else nightly_job.name


def _batch_run(batch: Path, job: str) -> RunRequest:
    config = {"batch_dir": str(batch.resolve())}
    return RunRequest(run_key=batch.name, run_config={"resources": {"warehouse": {"config": config}}},
                      tags={BATCH_TAG: batch.name}, job_name=job)


def _warehouse_config(run: DagsterRun) -> dict:
    return run.run_config.get("resources", {}).get("warehouse", {}).get("config", {})


def _batch_of(run: DagsterRun) -> Path | None:
    """The inbox batch folder a run loaded, if it was started by the inbox sensor and is still waiting."""
    batch_id = run.tags.get(BATCH_TAG)
    return inbox.batch_folder(_warehouse_config(run).get("batch_dir", ""), batch_id) if batch_id else None


def _warehouse_of(run: DagsterRun) -> Path:
    return Settings.resolve(warehouse=_warehouse_config(run).get("warehouse") or None).warehouse


def _problems(instance: DagsterInstance, run_id: str) -> list[str]:
    """What failed in a run, in plain words: failed blocking checks, step errors, else the run's own failure."""
    events = [r.event_log_entry.dagster_event for r in instance.get_records_for_run(
        run_id, of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.ASSET_CHECK_EVALUATION,
                         DagsterEventType.RUN_FAILURE}).records]
    problems = []
    for event in events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.event_specific_data
            if not check.passed and check.blocking:
                problems.append(f"check {check.check_name} on {'.'.join(check.asset_key.path)} failed: "
                                f"{check.description} ({_violations(check.metadata)})")
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            if error is not None and error.cls_name != _CHECK_FAILED:
                problems.append(plain_error(error_chain(error)))
    if problems:
        return problems
    return [plain_error(error_chain(getattr(e.event_specific_data, "error", None))) or e.message
            for e in events if e.event_type == DagsterEventType.RUN_FAILURE]


def _violations(metadata) -> str:
    value = metadata.get("violations")
    return f"{value.value} row(s) break it" if value is not None else "see the run's log"
