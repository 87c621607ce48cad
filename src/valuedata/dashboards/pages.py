"""Build every page from the warehouse."""

from __future__ import annotations

from valuedata.dashboards import drilldown, drivers, lookalikes, open_deals, overview, playbooks, reps, value_map
from valuedata.dashboards import queries
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.labels import MapText


def build_pages(wh: queries.WarehouseReader) -> list[Page]:
    """Overview, drivers, reps, value map, open deals, the drill-down and the playbooks, in navigation order."""
    tables = queries.map_tables(wh)
    ctx = Context(wh, queries.dimensions(wh), tables, MapText(tables))
    effects = wh.frame("driver_effects")
    cautions = lookalikes.cautions(wh, effects, ctx.text, tables)
    reps_page, rep_ids = reps.build(ctx, cautions)
    return [overview.build(ctx), drivers.build(ctx, effects, cautions, wh.frame("notes_share")), reps_page,
            value_map.build(ctx, effects, cautions),
            open_deals.build(ctx), drilldown.build(ctx, drivers.selection(ctx, effects), rep_ids),
            *playbooks.build(ctx, cautions)]
