-- The value maps: the segment each applies to ('*' = any segment without its own map), name and version.
SELECT map_id, segment, name, version FROM core.value_maps
