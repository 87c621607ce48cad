-- Replace this table's rejected rows (from the files loaded now) with this run's verdicts.
DELETE FROM audit.quarantine WHERE table_name = '{{ table }}';
INSERT INTO audit.quarantine (run_id, file, line, rule, raw, table_name, record_id, detail)
SELECT getvariable('run_id'), c._file, c._line, c.rule, to_json({{ row_struct }}), '{{ table }}',
       c.{{ id_column }}, c.detail
FROM staging.{{ table }}_checked c JOIN raw.{{ table }} r ON r.rowid = c._rowid
WHERE c.rule IS NOT NULL
ORDER BY c._file, c._line;
