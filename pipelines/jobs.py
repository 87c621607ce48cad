"""The two jobs: `weekly_refit` (every asset, the win models refitted) and `nightly` (what changed, open deals
scored with the stored models)."""

from dagster import AssetSelection, define_asset_job

from pipelines.assets import analytics

# what explains wins rather than scores today's deals: refitted by weekly_refit only
explanatory = AssetSelection.assets(analytics.win_models, analytics.rep_tables, analytics.playbook_table,
                                    analytics.value_hierarchy_table)
weekly_refit_job = define_asset_job("weekly_refit", selection=AssetSelection.all(), description=(
    "Everything: ingest the input folder, fit the win models on every closed deal and store them, every "
    "analysis, dashboards, publish. `valuedata run` runs this job."))
nightly_job = define_asset_job("nightly", selection=AssetSelection.all() - explanatory, description=(
    "Ingest the new files and recompute only what they change (checks, coverage, tags), score open deals with "
    "the stored win models, dashboards, publish. The models, drivers, model quality, rep tables and playbook "
    "stay as weekly_refit left them. `valuedata run --nightly` runs this job."))
