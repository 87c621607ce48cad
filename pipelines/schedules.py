"""Schedules, all running by default: the nightly run, the refit that replaces it when enough deals closed,
and the weekly refit.

`nightly_refresh` runs the `nightly` job: new files in, only what they change recomputed, open deals scored
with the stored win models, dashboards, publish. On a night when the published warehouse holds 10% more
closed deals than the stored models were trained on (or has no models yet), it skips, and
`refit_when_due`, at the same time, runs `weekly_refit` instead. `weekly_refit` runs that job every week:
everything, the models refitted.

Times are cron strings in $VALUEDATA_TIMEZONE (default UTC): $VALUEDATA_NIGHTLY_CRON (default 02:00 daily)
and $VALUEDATA_WEEKLY_CRON (default 04:00 on Sundays).
"""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleDefinition, ScheduleEvaluationContext, SkipReason, \
    schedule

from valuedata.config import Settings
from valuedata.warehouse.refit import REFIT_GROWTH, published_refit_status

REASON_TAG = "valuedata/reason"
_DUE = f"the published warehouse holds {REFIT_GROWTH:.0%} more closed deals than the stored win models were trained on"


def build_schedules(at_load: Settings) -> list[ScheduleDefinition]:
    """nightly_refresh, refit_when_due and weekly_refit at the times of `at_load` (the settings when the code
    location loads: schedule times are fixed then)."""

    @schedule(name="nightly_refresh", job_name="nightly", cron_schedule=at_load.nightly_cron,
              execution_timezone=at_load.timezone, default_status=DefaultScheduleStatus.RUNNING,
              description="Every night: the nightly job (new files in, only what they change recomputed, open deals "
                          f"scored with the stored win models, dashboards, publish). Skipped when {_DUE}: "
                          "refit_when_due runs weekly_refit instead.")
    def nightly_refresh(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        status = published_refit_status(Settings.resolve().warehouse)
        if status.due:
            return SkipReason(f"{status.sentence()}: refit_when_due runs weekly_refit tonight instead")
        return RunRequest(tags={REASON_TAG: "nightly"})

    @schedule(name="refit_when_due", job_name="weekly_refit", cron_schedule=at_load.nightly_cron,
              execution_timezone=at_load.timezone, default_status=DefaultScheduleStatus.RUNNING,
              description=f"At the nightly time, when {_DUE} (or it has none yet): the weekly_refit job instead of "
                          "the nightly one.")
    def refit_when_due(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        status = published_refit_status(Settings.resolve().warehouse)
        if not status.due:
            return SkipReason(f"{status.sentence()}; nightly_refresh runs the nightly job")
        return RunRequest(tags={REASON_TAG: "refit-due"})

    weekly_refit = ScheduleDefinition(
        name="weekly_refit", job_name="weekly_refit", cron_schedule=at_load.weekly_cron,
        execution_timezone=at_load.timezone, default_status=DefaultScheduleStatus.RUNNING,
        tags={REASON_TAG: "weekly-refit"},
        description="Every week: the weekly_refit job, everything, the win models refitted on every closed deal.")
    return [nightly_refresh, refit_when_due, weekly_refit]


schedules = build_schedules(Settings.resolve())
nightly_refresh, refit_when_due, weekly_refit = schedules
