"""A terse console logger for `valuedata run`: one line per step started, done or failed, and per failed check."""

import logging
import sys
import time

from dagster import DagsterEventType, InitLoggerContext, logger

_SHOWN = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
          DagsterEventType.ASSET_CHECK_EVALUATION, DagsterEventType.STEP_SKIPPED}


class _ProgressHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None or event.event_type not in _SHOWN:
            return
        step = (meta.get("step_key") or "").replace("__", "/")
        line = self._line(event, step)
        if line:
            print(line, file=sys.stderr, flush=True)

    def _line(self, event, step: str) -> str | None:
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            self.started[step] = time.monotonic()
            return f"  … {step}"
        if kind == DagsterEventType.STEP_SUCCESS:
            return f"  ✓ {step} ({time.monotonic() - self.started.get(step, time.monotonic()):.1f}s)"
        if kind == DagsterEventType.STEP_SKIPPED:
            return f"  - {step} skipped (an upstream step or blocking check failed)"
        if kind == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error if event.step_failure_data else None
            cause = error.cause or error if error else None
            return f"  ✗ {step} failed: {cause.message.strip().splitlines()[0] if cause else ''}"
        evaluation = event.event_specific_data
        if not evaluation.passed:
            mark = "✗" if evaluation.blocking else "⚠"
            return (f"  {mark} check {evaluation.check_name} on {'/'.join(evaluation.asset_key.path)} failed: "
                    f"{evaluation.description or dict(evaluation.metadata)}")
        return None


@logger(description="One line per step and per failed check, for the valuedata command line.")
def progress_logger(init_context: InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("valuedata.progress")
    log.setLevel(logging.DEBUG)
    log.handlers = [_ProgressHandler()]
    log.propagate = False
    return log
