"""valuedata: link customer value maps to sales outcomes."""

__version__ = "0.1.0"
