"""Self-contained Plotly dashboards for sales leaders, built from the warehouse (no server, no internet)."""

from valuedata.dashboards.build import DashboardReport, build_dashboards

__all__ = ["DashboardReport", "build_dashboards"]
