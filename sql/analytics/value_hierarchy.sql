CREATE OR REPLACE TABLE analytics.value_hierarchy AS SELECT * FROM value_hierarchy_frame;
COMMENT ON TABLE analytics.value_hierarchy IS 'The hierarchy of value: evidence rolled up the map (value propositions -> issues -> roles -> objectives), so leaders see which objectives carry the wins.';
