"""Tags from the CRM's fields and from the call notes, between core.engagements and deal coverage."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from pipelines.resources import WarehouseResource
from valuedata.tagging import build_engagement_tags

TAGS = AssetKey(["core", "engagement_tags"])


@multi_asset(specs=[
    AssetSpec(TAGS, group_name="core", kinds={"duckdb", "scikitlearn"},
              deps=[AssetKey(["core", "engagements"]), AssetKey(["core", "value_map_items"]),
                    AssetKey(["core", "value_maps"])],
              description="core.engagement_tags: every value proposition, issue and question of every engagement, "
                          "from the CRM's tag fields and read from the notes."),
    AssetSpec(["analytics", "tagging_quality"], group_name="analytics", kinds={"duckdb"}, deps=[TAGS],
              description="analytics.tagging_quality: per item, how well notes are read and whether they count.")])
def engagement_tags(context: AssetExecutionContext, warehouse: WarehouseResource):
    """Learn each map's items from field-tagged notes (or match the map's words), tag the other notes; a
    later run reuses the stored taggers and tags only new or changed engagements."""
    with warehouse.connect() as conn:
        summary = build_engagement_tags(conn, context.log.info)
    context.log.info(f"{summary.field_tags:,} field tags, {summary.notes_tags:,} notes tags on "
                     f"{summary.engagements_tagged_from_notes:,} of {summary.engagements_with_notes:,} engagements "
                     f"with notes; {summary.items_not_used} item(s) not trusted from notes; this run learnt "
                     f"{summary.maps_learnt} map(s), tagged {summary.engagements_tagged:,} new or changed "
                     f"engagements and read {summary.notes_read:,} notes")
    yield MaterializeResult(asset_key=TAGS, metadata={"field_tags": summary.field_tags,
                                                      "notes_tags": summary.notes_tags,
                                                      "maps_learnt": summary.maps_learnt,
                                                      "notes_read": summary.notes_read})
    yield MaterializeResult(asset_key=AssetKey(["analytics", "tagging_quality"]),
                            metadata={"items_used": summary.items_used, "items_not_used": summary.items_not_used})
