"""Analytics: the win models' fit, open-deal scores, the rep tables and the playbook, one asset per table.

Each asset's description is its table's COMMENT ON TABLE in sql/ (one place for what a table holds).
"""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, AssetKey, AssetSpec, \
    MaterializeResult, asset, asset_check, multi_asset

from pipelines.resources import WarehouseResource
from valuedata.analysis.reps import REP_TABLES
from valuedata.analysis.tables import FIT_TABLES, fit_win_models, playbook_frame, rep_frames, value_hierarchy_frame, \
    write_open_deal_scores, write_tables
from valuedata.warehouse.sql import table_comment

COVERAGE = AssetKey(["analytics", "deal_coverage"])
MODELS = AssetKey(["models", "segment_models"])
DRIVERS = AssetKey(["analytics", "driver_effects"])
QUALITY = AssetKey(["analytics", "model_quality"])
INPUTS = [COVERAGE, AssetKey(["core", "deals"]), AssetKey(["core", "reps"])]


def _spec(key: AssetKey, deps: list[AssetKey], kinds: set[str]) -> AssetSpec:
    return AssetSpec(key, group_name="analytics", kinds=kinds, deps=deps, skippable=True,
                     description=table_comment(f"{key.path[0]}/{key.path[1]}.sql"))


def _written(context: AssetExecutionContext, frames: dict) -> list[MaterializeResult]:
    for name, frame in frames.items():
        context.log.info(f"analytics.{name}: {frame.height:,} rows")
    return [MaterializeResult(asset_key=AssetKey(["analytics", name]), metadata={"rows": frame.height})
            for name, frame in frames.items()]


@multi_asset(specs=[_spec(MODELS, INPUTS, {"duckdb", "scikitlearn"}),
                    *(_spec(AssetKey(["analytics", t]), INPUTS, {"duckdb", "scikitlearn"}) for t in FIT_TABLES)])
def win_models(context: AssetExecutionContext, warehouse: WarehouseResource):
    """Fit the adjusted win models (logistic, and gradient boosting where it scores better), store them, and
    write the fit's tables: driver effects and model quality."""
    with warehouse.connect() as conn:
        frames = fit_win_models(conn)
        write_tables(conn, frames)
    yield MaterializeResult(asset_key=MODELS)
    yield from _written(context, frames)


@asset(key=["analytics", "open_deal_scores"], group_name="analytics", kinds={"duckdb"}, deps=[MODELS, *INPUTS],
       description=table_comment("analytics/open_deal_scores.sql"))
def open_deal_scores_table(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Score today's open deals with the stored models (in a nightly run, those whose inputs changed)."""
    with warehouse.connect() as conn:
        scored, rows = write_open_deal_scores(conn)
    context.log.info(f"analytics.open_deal_scores: {rows:,} rows, {scored:,} open deals scored by this run")
    return MaterializeResult(metadata={"rows": rows, "scored_now": scored})


@multi_asset(specs=[_spec(AssetKey(["analytics", t]), [MODELS, *INPUTS], {"duckdb"}) for t in REP_TABLES],
             can_subset=True)
def rep_tables(context: AssetExecutionContext, warehouse: WarehouseResource):
    """The selected rep tables, from the closed deals scored once by the stored models."""
    names = tuple(t for t in REP_TABLES if AssetKey(["analytics", t]) in context.selected_asset_keys)
    with warehouse.connect() as conn:
        frames = rep_frames(conn, names)
        write_tables(conn, frames)
    yield from _written(context, frames)


@asset(key=["analytics", "playbook"], group_name="analytics", kinds={"duckdb"},
       deps=[DRIVERS, COVERAGE, AssetKey(["core", "engagement_tags"])], description=table_comment("analytics/playbook.sql"))
def playbook_table(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Rank the article's sales tools by the drivers' evidence."""
    with warehouse.connect() as conn:
        frames = {"playbook": playbook_frame(conn)}
        write_tables(conn, frames)
    return _written(context, frames)[0]


@asset(key=["analytics", "value_hierarchy"], group_name="analytics", kinds={"duckdb"},
       deps=[AssetKey(["analytics", "playbook"])], description=table_comment("analytics/value_hierarchy.sql"))
def value_hierarchy_table(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Order the maps' value chains by the playbook's evidence."""
    with warehouse.connect() as conn:
        frames = {"value_hierarchy": value_hierarchy_frame(conn)}
        write_tables(conn, frames)
    return _written(context, frames)[0]


@asset_check(asset=QUALITY, name="models_beat_base_rate",
             description="each fitted model predicts better than the base rate (cross-validated Brier score)")
def models_beat_base_rate(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connect() as conn:
        rows = conn.execute("SELECT segment, brier_cv, baseline_brier FROM analytics.model_quality "
                            "WHERE brier_cv IS NOT NULL AND brier_cv >= baseline_brier").fetchall()
    return AssetCheckResult(passed=not rows, severity=AssetCheckSeverity.WARN,
                            metadata={"no_better_than_base_rate": ", ".join(s for s, _, _ in rows) or "none"})


@asset_check(asset=QUALITY, name="no_outcome_leaks",
             description="no deal column gives the outcome away (such columns are left out of the models)")
def no_outcome_leaks(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connect() as conn:
        rows = conn.execute("SELECT DISTINCT left_out FROM analytics.model_quality WHERE left_out IS NOT NULL").fetchall()
    return AssetCheckResult(passed=not rows, severity=AssetCheckSeverity.WARN,
                            metadata={"left_out_of_the_models": ", ".join(c for (c,) in rows) or "none"})


analytics_assets = [win_models, open_deal_scores_table, rep_tables, playbook_table, value_hierarchy_table]
analytics_checks = [models_beat_base_rate, no_outcome_leaks]
