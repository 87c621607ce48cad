-- The current rows ({{ rows }}) that broke a rule, and the CSV rows of its loads ({{ malformed_scope }}) that could not be read at all (malformed_row),
-- as they will stand in audit.quarantine; run_id is the run that read the row.
CREATE OR REPLACE TABLE staging.{{ table }}_rejected AS
SELECT l.run_id, c._file AS file, c._line AS line, c.rule, to_json({{ row_struct }}) AS raw, '{{ table }}' AS table_name,
       c.{{ id_column }} AS record_id, c.detail, c._load_seq AS load_seq
FROM temp.{{ table }}_checked c
JOIN {{ rows }} r USING (_load_seq, _file, _line)
JOIN raw.loads l ON l.seq = c._load_seq
UNION ALL
SELECT l.run_id, m.file, m.line, 'malformed_row', to_json(m.text), '{{ table }}', NULL, m.detail, m.load_seq
FROM raw.malformed_rows m JOIN raw.loads l ON l.seq = m.load_seq
WHERE m.table_name = '{{ table }}' AND {{ malformed_scope }}
ORDER BY load_seq, file, line;
