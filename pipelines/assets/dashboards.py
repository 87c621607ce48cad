"""The leaders' dashboards: self-contained HTML written from the run's warehouse, published with it."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines.assets.publish import DASHBOARDS_KEY
from pipelines.resources import WarehouseResource
from valuedata.dashboards import build_dashboards


def dashboards_asset(upstream: list[AssetKey]):
    """The dashboards asset, after every warehouse asset of the run and before publish."""

    @asset(key=DASHBOARDS_KEY, deps=upstream, group_name="dashboards", kinds={"plotly", "html"})
    def dashboards_site(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        """Overview, drivers, reps, value map, open deals and drill-down pages, plus PNGs where a Chrome exists.

        Built from the run's staging warehouse into a folder beside the published one; publish swaps it in
        right after the warehouse, so a failed or killed run leaves both as they were.
        The PNG of a chart drawn exactly as in the published dashboards is copied from them. Set
        VALUEDATA_DASHBOARD_PNG=0 to skip the PNG export (Settings.dashboard_png)."""
        with warehouse.connect() as conn:
            report = build_dashboards(conn, warehouse.dashboards_staging, png=warehouse.settings.dashboard_png,
                                      previous=warehouse.settings.dashboards)
        context.log.info(report.summary())
        index = warehouse.settings.dashboards / "index.html"
        return MaterializeResult(metadata={"index": str(index.resolve()), "bytes": report.total_bytes,
                                           "png": report.png_status})

    return dashboards_site
