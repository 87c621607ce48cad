CREATE OR REPLACE TABLE core.value_map_links AS SELECT * FROM value_map_links_frame;
COMMENT ON TABLE core.value_map_links IS 'The map''s arrows: value_proposition --addresses--> issue, question --uncovers--> issue.';
