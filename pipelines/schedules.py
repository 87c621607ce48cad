"""Schedules: the nightly full refresh and the weekly model refit, both running by default.

Times are cron strings in $VALUEDATA_TIMEZONE (default UTC): $VALUEDATA_NIGHTLY_CRON (default 02:00 daily)
and $VALUEDATA_WEEKLY_CRON (default 04:00 on Sundays).
"""

import os

from dagster import DefaultScheduleStatus, ScheduleDefinition

REASON_TAG = "valuedata/reason"
TIMEZONE = os.environ.get("VALUEDATA_TIMEZONE") or "UTC"

nightly_refresh = ScheduleDefinition(
    name="nightly_refresh", job_name="refresh", cron_schedule=os.environ.get("VALUEDATA_NIGHTLY_CRON") or "0 2 * * *",
    execution_timezone=TIMEZONE, default_status=DefaultScheduleStatus.RUNNING, tags={REASON_TAG: "nightly"},
    description="Every night: ingest the input folder, rebuild every table and dashboard, publish the warehouse.")

weekly_refit = ScheduleDefinition(
    name="weekly_refit", job_name="refresh", cron_schedule=os.environ.get("VALUEDATA_WEEKLY_CRON") or "0 4 * * 0",
    execution_timezone=TIMEZONE, default_status=DefaultScheduleStatus.RUNNING, tags={REASON_TAG: "weekly-refit"},
    description="Every week: the full refresh, tagged as the weekly refit of the win models.")

schedules = [nightly_refresh, weekly_refit]
