"""Asset checks: blocking where bad data must not flow on into analytics."""


from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, asset_check

from pipelines.resources import WarehouseResource
from valuedata.warehouse.checks import RULES, count_violations


def _rule_check(asset_key: list[str], rule: str, blocking: bool = True):
    @asset_check(asset=AssetKey(asset_key), name=rule, blocking=blocking, description=RULES[rule].description)
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        with warehouse.connect() as conn:
            violations = count_violations(conn, rule)
        return AssetCheckResult(passed=violations == 0, metadata={"violations": violations},
                                severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
                                description=RULES[rule].description)

    return _check


ingest_checks = [
    _rule_check(["core", "reps"], "reps_unique"),
    _rule_check(["core", "deals"], "deals_unique"),
    _rule_check(["core", "deals"], "deals_have_reps"),
    _rule_check(["core", "engagements"], "engagements_unique"),
    _rule_check(["core", "engagements"], "engagements_have_deals"),
    _rule_check(["core", "engagements"], "engagement_roles_in_map"),
    _rule_check(["core", "value_map_links"], "map_links_resolve"),
    _rule_check(["core", "value_map_items"], "map_items_unique"),
    _rule_check(["audit", "loads"], "loads_reconcile"),
    _rule_check(["analytics", "deal_coverage"], "coverage_one_row_per_deal"),
    _rule_check(["analytics", "deal_coverage"], "coverage_in_range"),
]
