-- Per file of every load of {{ table }}, in a delta run: the files loaded before keep the previous
-- reconciliation's counts ({{ previous_run }}), less the rows whose ids this run's files supersede
-- (temp.{{ table }}_superseded); this run's files ({{ new_seqs }}) are counted from their own rows.
WITH new_rows AS (
    SELECT _load_seq AS seq, _file AS file, staging.clean({{ id_column }}) AS k FROM ({{ new_load_rows }})
),
new_counted AS (
    SELECT seq, file, count(*) AS n, count(*) FILTER (WHERE k IS NULL OR seq = latest) AS current_n
    FROM (SELECT *, max(seq) OVER (PARTITION BY k) AS latest FROM new_rows) GROUP BY ALL
    UNION ALL
    SELECT load_seq, file, count(*), count(*) FROM raw.malformed_rows
    WHERE table_name = '{{ table }}' AND list_contains({{ new_seqs }}, load_seq) GROUP BY ALL
),
new_files AS (  -- a header-only file too (0 rows read)
    SELECT l.seq, coalesce(c.file, l.file) AS file, coalesce(sum(c.n), 0) AS rows_read,
           coalesce(sum(c.current_n), 0) AS rows_current
    FROM raw.loads l LEFT JOIN new_counted c ON c.seq = l.seq
    WHERE l.table_name = '{{ table }}' AND l.sha256 IS NOT NULL AND list_contains({{ new_seqs }}, l.seq) GROUP BY ALL
),
superseded AS (SELECT seq, file, count(*) AS n FROM temp.{{ table }}_superseded GROUP BY ALL)
SELECT p.load_seq AS seq, p.file, p.rows_read, p.rows_read - p.rows_superseded - coalesce(s.n, 0) AS rows_current
FROM audit.loads p LEFT JOIN superseded s ON s.seq = p.load_seq AND s.file = p.file
WHERE p.table_name = '{{ table }}' AND p.run_id = '{{ previous_run }}'
UNION ALL
SELECT * FROM new_files
