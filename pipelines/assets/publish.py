"""Publish: the run's staging warehouse replaces the published one in a single atomic rename."""


from dagster import AssetKey, MaterializeResult, asset

from pipelines.resources import WarehouseResource

PUBLISH_KEY = AssetKey(["warehouse", "published"])


def publish_asset(upstream: list[AssetKey]):
    """The publish asset, after every warehouse asset of the run."""

    @asset(key=PUBLISH_KEY, deps=upstream, group_name="publish", kinds={"duckdb"})
    def published_warehouse(warehouse: WarehouseResource) -> MaterializeResult:
        """The warehouse analysts open: replaced atomically, only when every upstream asset and blocking check passed."""
        path = warehouse.publish()
        return MaterializeResult(metadata={"path": str(path.resolve()), "bytes": path.stat().st_size})

    return published_warehouse
