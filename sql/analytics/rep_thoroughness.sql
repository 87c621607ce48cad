CREATE OR REPLACE TABLE analytics.rep_thoroughness AS SELECT * FROM rep_thoroughness_frame;
COMMENT ON TABLE analytics.rep_thoroughness IS 'Per rep and segment: coverage of the map''s key players and of the items with evidence of winning, against the team.';
