"""Publish: the run's staging warehouse replaces the published one in a single atomic rename, and the
dashboards built from it replace the published ones right after."""


from dagster import AssetKey, MaterializeResult, asset

from pipelines.resources import WarehouseResource

PUBLISH_KEY = AssetKey(["warehouse", "published"])
DASHBOARDS_KEY = AssetKey(["dashboards", "site"])


def publish_asset(upstream: list[AssetKey]):
    """The publish asset, after every warehouse asset of the run and the dashboards built from them."""

    @asset(key=PUBLISH_KEY, deps=upstream, group_name="publish", kinds={"duckdb"})
    def published_warehouse(warehouse: WarehouseResource) -> MaterializeResult:
        """The warehouse analysts open and the dashboards built from it: both replaced by renames, only when
        every upstream asset and blocking check passed, so they always show the same run."""
        path = warehouse.publish()
        return MaterializeResult(metadata={"path": str(path.resolve()), "bytes": path.stat().st_size,
                                           "dashboards": str(warehouse.settings.dashboards.resolve())})

    return published_warehouse
