"""Value maps and CRM files into the raw and core layers, and the audit of what was loaded."""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, asset, multi_asset

from pipelines.resources import WarehouseResource
from valuedata.ingest import delta, steps
from valuedata.ingest.prepared import convert_export, record_source

MAP_TABLES = ("value_maps", "value_map_roles", "value_map_items", "value_map_links")


@asset(key=["raw", "source_export"], group_name="raw", kinds={"csv"})
def source_export(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """With --source salesforce | hubspot | mapping.yaml: convert the export into native files for this run."""
    source = warehouse.settings.source
    if source == "native":
        return MaterializeResult(metadata={"source": source})
    prepared = convert_export(warehouse.settings.input_dir, source, warehouse.export_dir)
    with warehouse.connect() as conn:
        record_source(conn, source, prepared)
    for note in prepared.notes:
        context.log.warning(note)
    return MaterializeResult(metadata={"source": source, "files": prepared.source_audit.height,
                                       "notes": "\n".join(prepared.notes)})


@multi_asset(specs=[AssetSpec(["core", t], group_name="maps", kinds={"duckdb", "yaml"},
                              deps=[AssetKey(["raw", "source_export"])],
                              description=f"core.{t}: the validated customer value maps.") for t in MAP_TABLES])
def value_maps(context: AssetExecutionContext, warehouse: WarehouseResource):
    """Validate every value map (a broken map stops the run, naming file and key) and load it."""
    settings = warehouse.settings
    with warehouse.connect() as conn:
        steps.start_run(conn, warehouse.run_id, settings.input_dir, settings.source)
        maps = steps.load_value_maps(conn, warehouse.native_dir, settings.batch_dir)
    context.log.info(f"{len(maps)} value map(s): {', '.join(m.map_id for m in maps)}")
    for table in MAP_TABLES:
        yield MaterializeResult(asset_key=AssetKey(["core", table]), metadata={"maps": len(maps)})


@multi_asset(specs=[AssetSpec(["raw", t], group_name="raw", kinds={"duckdb", "csv"},
                              deps=[AssetKey(["raw", "source_export"])],
                              description=f"raw.{t}: {t}.csv (or .parquet) as read, every value as text.")
                    for t in steps.CRM_TABLES])
def crm_files(context: AssetExecutionContext, warehouse: WarehouseResource):
    """Read the CRM files of the input folder into the raw layer."""
    settings = warehouse.settings
    with warehouse.connect() as conn:
        loads = steps.load_raw_files(conn, warehouse.native_dir, warehouse.run_id, settings.batch_dir)
    for load in loads:
        verb = "read" if load.new else "unchanged, already loaded:"
        context.log.info(f"{verb} {load.rows_read:,} rows from {load.file}")
    for table in steps.CRM_TABLES:
        mine = [load for load in loads if load.table == table]
        yield MaterializeResult(asset_key=AssetKey(["raw", table]), metadata={
            "files": ", ".join(load.file for load in mine) or "(none)",
            "rows_read": sum(load.rows_read for load in mine if load.new)})


def _core_asset(table: str, deps: list[AssetKey]):
    @asset(key=["core", table], deps=[AssetKey(["raw", table]), *deps], group_name="core", kinds={"duckdb"},
           description=f"core.{table}: validated and typed; rows breaking a rule go to audit.quarantine. "
                       "A delta run recomputes only the ids its new files change (see docs/operations.md).")
    def _build(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        with warehouse.connect() as conn:
            plan = delta.plan(conn, warehouse.full_rebuild)
            loaded = steps.build_core_table(conn, table)
            recomputed = delta.record(conn, f"core.{table}", steps.ID_COLUMNS[table])
        context.log.info(f"core.{table}: {recomputed:,} id(s) recomputed ({plan.reason})")
        return MaterializeResult(metadata={"rows_loaded": loaded, "plan": plan.reason, "ids_recomputed": recomputed})

    return _build


core_reps = _core_asset("reps", [AssetKey(["core", "value_maps"])])
core_deals = _core_asset("deals", [AssetKey(["core", "reps"]), AssetKey(["core", "value_maps"])])
core_engagements = _core_asset("engagements", [AssetKey(["core", "deals"]), AssetKey(["core", "value_map_roles"]),
                                               AssetKey(["core", "value_map_items"])])


@multi_asset(
    specs=[AssetSpec(["audit", "quarantine"], group_name="audit", kinds={"duckdb"},
                     deps=[AssetKey(["core", t]) for t in steps.CRM_TABLES],
                     description="audit.quarantine: every rejected row with file, line, rule and the raw row."),
           AssetSpec(["audit", "loads"], group_name="audit", kinds={"duckdb"},
                     deps=[AssetKey(["audit", "quarantine"])],
                     description="audit.loads: per file and run, rows read = loaded + quarantined.")])
def load_audit(context: AssetExecutionContext, warehouse: WarehouseResource):
    """Quarantine rule-breaking rows and reconcile every CRM file."""
    with warehouse.connect() as conn:
        loads = [steps.record_audit(conn, table) for table in steps.CRM_TABLES]
    for load in loads:
        context.log.info(f"{load.table}: {load.rows_read:,} read = {load.rows_loaded:,} loaded "
                         f"+ {load.rows_quarantined:,} quarantined {load.rules or ''}")
    yield MaterializeResult(asset_key=AssetKey(["audit", "quarantine"]),
                            metadata={f"{l.table}_quarantined": l.rows_quarantined for l in loads})
    yield MaterializeResult(asset_key=AssetKey(["audit", "loads"]),
                            metadata={f"{l.table}_read": l.rows_read for l in loads})


@asset(key=["audit", "unmapped_titles"], deps=[AssetKey(["core", "engagements"])], group_name="audit",
       kinds={"duckdb"})
def unmapped_titles(warehouse: WarehouseResource) -> MaterializeResult:
    """audit.unmapped_titles: contact titles no role's title_patterns match, to extend the maps."""
    with warehouse.connect() as conn:
        titles = steps.build_unmapped_titles(conn)
    return MaterializeResult(metadata={"unmapped_titles": titles})


@asset(key=["analytics", "deal_coverage"], deps=[AssetKey(["core", "engagements"]), AssetKey(["core", "engagement_tags"])],
       group_name="analytics", kinds={"duckdb"})
def deal_coverage(warehouse: WarehouseResource) -> MaterializeResult:
    """analytics.deal_coverage: per deal, key players engaged and map items presented, uncovered, asked."""
    with warehouse.connect() as conn:
        deals = steps.build_deal_coverage(conn)
        recomputed = delta.record(conn, delta.COVERAGE, "deal_id")
    return MaterializeResult(metadata={"deals": deals, "deals_recomputed": recomputed})
