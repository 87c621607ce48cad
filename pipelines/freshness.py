"""Freshness: warning (never blocking) checks on the age of the inputs and of the published warehouse.

Limits: $VALUEDATA_MAX_INPUT_AGE_HOURS (default 48) and $VALUEDATA_MAX_WAREHOUSE_AGE_HOURS (default 30).
The warehouse check runs after each publish and, between runs, the `warehouse_freshness` sensor re-evaluates it.
"""

from datetime import datetime, timezone

from dagster import (AssetCheckEvaluation, AssetCheckResult, AssetCheckSeverity, AssetKey, DefaultSensorStatus,
                     MaterializeResult, SensorEvaluationContext, SensorResult, SkipReason, asset, asset_check, sensor)

from pipelines.assets.publish import PUBLISH_KEY
from pipelines.resources import WarehouseResource
from pipelines.sensors import SENSOR_INTERVAL_SECONDS
from valuedata.config import Settings
from valuedata.freshness import Age, build_freshness_table, measure_inputs, warehouse_age

LOADS_KEY = AssetKey(["audit", "loads"])
WAREHOUSE_CHECK = "warehouse_fresh"


@asset_check(asset=LOADS_KEY, name="inputs_fresh", blocking=False,
             description="Warns when the newest deal, engagement or newly loaded file is older than "
                         "$VALUEDATA_MAX_INPUT_AGE_HOURS (default 48): is the CRM export still running?")
def inputs_fresh(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connect() as conn:
        inputs = measure_inputs(conn, _now(), warehouse.settings.max_input_age_hours)
    return AssetCheckResult(passed=inputs.age.fresh, severity=AssetCheckSeverity.WARN,
                            description=inputs.age.message, metadata={
                                **_age_metadata(inputs.age),
                                "newest_deal_created_at": _text(inputs.newest_deal_created_at),
                                "newest_engagement_at": _text(inputs.newest_engagement_at),
                                "newest_file_loaded_at": _text(inputs.newest_file_loaded_at)})


@asset_check(asset=PUBLISH_KEY, name=WAREHOUSE_CHECK, blocking=False,
             description="Warns when the published warehouse is older than $VALUEDATA_MAX_WAREHOUSE_AGE_HOURS "
                         "(default 30): did the nightly refresh stop?")
def warehouse_fresh(warehouse: WarehouseResource) -> AssetCheckResult:
    age = warehouse_age(warehouse.settings.warehouse, _now(), warehouse.settings.max_warehouse_age_hours)
    return AssetCheckResult(passed=age.fresh, severity=AssetCheckSeverity.WARN, description=age.message,
                            metadata=_age_metadata(age))


@asset(key=["audit", "freshness"], deps=[LOADS_KEY], group_name="audit", kinds={"duckdb"})
def freshness_audit(warehouse: WarehouseResource) -> MaterializeResult:
    """audit.freshness: one row with the newest input dates, when this warehouse was published and the input age."""
    with warehouse.connect() as conn:
        inputs = build_freshness_table(conn, _now(), warehouse.settings.max_input_age_hours)
    return MaterializeResult(metadata=_age_metadata(inputs.age))


@sensor(name="warehouse_freshness", minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description="Between runs, re-evaluates the warehouse_fresh check whenever its verdict changes.")
def warehouse_freshness_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    """Report the warehouse_fresh check when the published warehouse turns stale (or fresh again)."""
    settings = Settings.resolve()
    age = warehouse_age(settings.warehouse, _now(), settings.max_warehouse_age_hours)
    verdict = "fresh" if age.fresh else "stale"
    if context.cursor == verdict:
        return SkipReason(age.message)
    evaluation = AssetCheckEvaluation(asset_key=PUBLISH_KEY, check_name=WAREHOUSE_CHECK, passed=age.fresh,
                                      severity=AssetCheckSeverity.WARN, description=age.message,
                                      metadata=_age_metadata(age), blocking=False)
    return SensorResult(asset_events=[evaluation], cursor=verdict)


freshness_checks = [inputs_fresh, warehouse_fresh]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _age_metadata(age: Age) -> dict:
    return {"age_hours": age.hours, "limit_hours": age.limit_hours, "newest_at": _text(age.newest_at)}


def _text(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "none"
