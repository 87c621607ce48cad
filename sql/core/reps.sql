CREATE OR REPLACE TEMP VIEW reps_loaded AS
SELECT rep_id, name, team, manager, region, hired_at, _file, _line, _load_seq
FROM temp.reps_typed t ANTI JOIN temp.reps_checked c USING (_load_seq, _file, _line)
ORDER BY rep_id;
{{ write }};
COMMENT ON TABLE core.reps IS 'One row per salesperson, validated. _file/_line point at the source row.';
