-- The rows of raw.{{ table }} that broke a rule, as they will stand in audit.quarantine; run_id is the run that read the row.
CREATE OR REPLACE TABLE staging.{{ table }}_rejected AS
SELECT l.run_id, c._file AS file, c._line AS line, c.rule, to_json({{ row_struct }}) AS raw, '{{ table }}' AS table_name,
       c.{{ id_column }} AS record_id, c.detail, c._load_seq AS load_seq
FROM temp.{{ table }}_checked c
JOIN raw.{{ table }} r USING (_load_seq, _file, _line)
JOIN raw.loads l ON l.seq = c._load_seq
ORDER BY c._load_seq, c._file, c._line;
