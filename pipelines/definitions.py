"""The Dagster code location: every asset, check, job, schedule and sensor of valuedata."""


from dagster import Definitions, in_process_executor

from pipelines.assets import analytics, ingest, tagging
from pipelines.assets.dashboards import dashboards_asset
from pipelines.assets.publish import publish_asset
from pipelines.checks import ingest_checks
from pipelines.freshness import freshness_audit, freshness_checks, warehouse_freshness_sensor
from pipelines.jobs import nightly_job, weekly_refit_job
from pipelines.resources import WarehouseResource
from pipelines.schedules import schedules
from pipelines.sensors import inbox_archive, inbox_reject, inbox_reject_canceled, inbox_sensor

warehouse_assets = [ingest.source_export, ingest.value_maps, ingest.crm_files, ingest.core_reps, ingest.core_deals,
                    ingest.core_engagements, ingest.load_audit, ingest.unmapped_titles, tagging.engagement_tags,
                    ingest.deal_coverage, freshness_audit,
                    *analytics.analytics_assets]
warehouse_keys = [key for a in warehouse_assets for key in a.keys]
dashboards_site = dashboards_asset(warehouse_keys)
published = publish_asset([*warehouse_keys, *dashboards_site.keys])

defs = Definitions(
    assets=[*warehouse_assets, dashboards_site, published],
    asset_checks=[*ingest_checks, *freshness_checks, *analytics.analytics_checks],
    jobs=[weekly_refit_job, nightly_job],
    schedules=schedules,
    sensors=[inbox_sensor, inbox_archive, inbox_reject, inbox_reject_canceled, warehouse_freshness_sensor],
    resources={"warehouse": WarehouseResource.from_environment()},
    executor=in_process_executor,
)
