CREATE OR REPLACE TABLE core.value_map_roles AS SELECT * FROM value_map_roles_frame;
COMMENT ON TABLE core.value_map_roles IS 'One row per role (key player) of a value map: title, level, whether every deal should engage it (key_player), and the title_patterns that map CRM contact titles onto it.';
