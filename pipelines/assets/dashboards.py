"""The leaders' dashboards: self-contained HTML written from the published warehouse on every run."""

import os

from dagster import AssetExecutionContext, MaterializeResult, asset

from pipelines.assets.publish import PUBLISH_KEY
from pipelines.resources import WarehouseResource
from valuedata.dashboards import build_dashboards
from valuedata.warehouse.lifecycle import connect_read_only


@asset(key=["dashboards", "site"], deps=[PUBLISH_KEY], group_name="dashboards", kinds={"plotly", "html"})
def dashboards_site(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Overview, drivers, reps, value map, open deals and drill-down pages, plus PNGs where a Chrome exists.

    Set VALUEDATA_DASHBOARD_PNG=0 to skip the PNG export."""
    settings = warehouse.settings
    png = os.environ.get("VALUEDATA_DASHBOARD_PNG", "1") != "0"
    with connect_read_only(settings.warehouse) as conn:
        report = build_dashboards(conn, settings.dashboards, png=png)
    context.log.info(report.summary())
    return MaterializeResult(metadata={"index": str((settings.dashboards / "index.html").resolve()),
                                       "bytes": report.total_bytes, "png": report.png_status})
