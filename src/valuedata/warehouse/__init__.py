"""The DuckDB warehouse: building, publishing and reading it.

`open_current(path)` gives analysts in a long-lived process (a notebook, a web app) a read-only
connection to the version published last; see docs/operations.md, "Reading while runs publish".
"""

from valuedata.warehouse.lifecycle import open_current

__all__ = ["open_current"]
