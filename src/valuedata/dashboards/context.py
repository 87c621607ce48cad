"""What every page builder shares: the warehouse, the filter dimensions, the value maps, and the page result."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from valuedata.dashboards import queries
from valuedata.dashboards.html import Chart, Filter
from valuedata.dashboards.labels import MapText


@dataclass
class Context:
    """Inputs shared by the page builders."""

    wh: queries.WarehouseReader
    dims: queries.Dimensions
    tables: dict[str, pl.DataFrame]  # the value-map tables (queries.map_tables)
    text: MapText

    def segment_filter(self, label_all: str = "All segments") -> Filter:
        """The segment filter with the capped segments of the deals."""
        return Filter("segment", "Segment", [(queries.ALL, label_all)] + [(s, s) for s in self.dims.segments])

    def team_filter(self) -> Filter:
        """The team filter (core.reps.team, capped)."""
        return Filter("team", "Team", [(queries.ALL, "All teams")] + [(t, t) for t in self.dims.teams])

    def period_filter(self) -> Filter:
        """The period filter: all time, latest quarter, the one before, last four quarters."""
        return Filter("period", "Period", [(p.id, p.label) for p in self.dims.periods])

    def periods_js(self) -> dict:
        """Period bounds for dashboard.js: {id: {start, end, range}}."""
        return {p.id: {"start": queries.period_bounds(p)[0], "end": queries.period_bounds(p)[1], "range": queries.axis_range(p)}
                for p in self.dims.periods}

    def cap_team(self, team: str) -> str:
        """A team name as the team filter knows it."""
        return team if team in self.dims.teams else queries.OTHER_TEAMS

    def teams(self) -> list[str]:
        """'all' followed by every team of the filter."""
        return [queries.ALL] + self.dims.teams


@dataclass
class Page:
    """A built page: its file name, HTML, charts (for PNG export) and notes for the report."""

    file: str
    html: str
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
