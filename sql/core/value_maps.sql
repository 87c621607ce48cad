CREATE OR REPLACE TABLE core.value_maps AS SELECT * FROM value_maps_frame;
COMMENT ON TABLE core.value_maps IS 'One row per customer value map: the segment it applies to (''*'' = any segment without its own map), its file and version.';
