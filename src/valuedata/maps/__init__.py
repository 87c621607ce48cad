"""Customer value maps: typed models, validation and flattening into tables."""

from valuedata.maps.load import load_maps, map_files
from valuedata.maps.models import ValueMap
from valuedata.maps.tables import map_frames

__all__ = ["ValueMap", "load_maps", "map_files", "map_frames"]
