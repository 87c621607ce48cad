"""Build every page from the warehouse."""

from __future__ import annotations

from valuedata.dashboards import drilldown, drivers, lookalikes, open_deals, overview, playbooks, reps, value_map
from valuedata.dashboards import queries as q
from valuedata.dashboards.context import Context, Page
from valuedata.dashboards.labels import MapText


def build_pages(wh: q.Warehouse) -> list[Page]:
    """Overview, drivers, reps, value map, open deals, the drill-down and the playbooks, in navigation order."""
    tables = q.map_tables(wh)
    ctx = Context(wh, q.dimensions(wh), MapText(tables))
    effects = q.driver_effects(wh)
    cautions = lookalikes.cautions(wh, effects, ctx.text, tables)
    reps_page, rep_ids = reps.build(ctx, cautions)
    notes = q.notes_share(wh) if not effects.is_empty() else None
    return [overview.build(ctx), drivers.build(ctx, effects, cautions, notes), reps_page,
            value_map.build(ctx, effects, cautions),
            open_deals.build(ctx), drilldown.build(ctx, drivers.selection(ctx, effects), rep_ids),
            *playbooks.build(ctx, cautions)]
