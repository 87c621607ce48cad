"""valuedata: link customer value maps to sales outcomes."""

from valuedata.memory import return_freed_memory

return_freed_memory()  # before anything imports polars: see valuedata.memory

__version__ = "0.1.0"
