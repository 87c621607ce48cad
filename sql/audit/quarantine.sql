-- Replace this table's rejected rows with the verdicts on its current rows; run_id is the run that read the row.
DELETE FROM audit.quarantine WHERE table_name = '{{ table }}';
INSERT INTO audit.quarantine (run_id, file, line, rule, raw, table_name, record_id, detail, load_seq)
SELECT l.run_id, c._file, c._line, c.rule, to_json({{ row_struct }}), '{{ table }}', c.{{ id_column }}, c.detail, c._load_seq
FROM staging.{{ table }}_checked c
JOIN raw.{{ table }} r USING (_load_seq, _file, _line)
JOIN raw.loads l ON l.seq = c._load_seq
WHERE c.rule IS NOT NULL
ORDER BY c._load_seq, c._file, c._line;
