"""Analytics: the adjusted win models and what is built on them, and the evidence-ranked playbook."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, AssetKey, AssetSpec, \
    MaterializeResult, asset_check, multi_asset

from pipelines.resources import WarehouseResource
from valuedata.analysis.tables import PLAYBOOK_TABLES, WIN_MODEL_TABLES, playbook_frames, win_models, write_tables

COVERAGE = AssetKey(["analytics", "deal_coverage"])
DRIVERS = AssetKey(["analytics", "driver_effects"])
QUALITY = AssetKey(["analytics", "model_quality"])


@multi_asset(specs=[AssetSpec(["analytics", t], group_name="analytics", kinds={"duckdb", "scikitlearn"},
                              deps=[COVERAGE, AssetKey(["core", "reps"])]) for t in WIN_MODEL_TABLES])
def win_model_tables(context: AssetExecutionContext, warehouse: WarehouseResource):
    """Fit one adjusted logistic model per segment and derive drivers, model quality, open-deal scores,
    rep scorecards, heterogeneity, gaps and thoroughness from that single fit."""
    with warehouse.connect() as conn:
        frames = win_models(conn)
        write_tables(conn, frames)
    for name, frame in frames.items():
        context.log.info(f"analytics.{name}: {frame.height:,} rows")
        yield MaterializeResult(asset_key=AssetKey(["analytics", name]), metadata={"rows": frame.height})


@multi_asset(specs=[AssetSpec(["analytics", t], group_name="analytics", kinds={"duckdb"},
                              deps=[DRIVERS, COVERAGE, AssetKey(["core", "engagement_tags"])]) for t in PLAYBOOK_TABLES])
def playbook_tables(warehouse: WarehouseResource):
    """The article's sales tools ranked by evidence: key players, questions, value propositions, and the
    hierarchy of value."""
    with warehouse.connect() as conn:
        frames = playbook_frames(conn)
        write_tables(conn, frames)
    for name, frame in frames.items():
        yield MaterializeResult(asset_key=AssetKey(["analytics", name]), metadata={"rows": frame.height})


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


analytics_checks = [models_beat_base_rate, no_outcome_leaks]
