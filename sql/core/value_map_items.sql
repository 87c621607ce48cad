CREATE OR REPLACE TABLE core.value_map_items AS SELECT * FROM value_map_items_frame;
COMMENT ON TABLE core.value_map_items IS 'One row per map item: objectives, metrics, strategies, issues, value propositions (text = statement) and questions of each role. impact = where our products have impact; priority 1 = highest.';
COMMENT ON COLUMN core.value_map_items.kind IS 'objective | metric | strategy | issue | value_proposition | question';
COMMENT ON COLUMN core.value_map_items.keywords IS 'Words reps write in call notes for this item (the map''s optional keywords:), used by the notes tagger';
