CREATE OR REPLACE TABLE core.reps AS
SELECT rep_id, name, team, manager, region, hired_at, _file, _line, _load_seq
FROM temp.reps_checked WHERE rule IS NULL
ORDER BY rep_id;
COMMENT ON TABLE core.reps IS 'One row per salesperson, validated. _file/_line point at the source row.';
