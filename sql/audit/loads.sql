-- Reconcile one CRM table, per file it was ever loaded from:
-- rows read = rows loaded + rows quarantined (+ rows superseded by a later export of the same ids).
-- `counts` gives the rows read and the rows still current per file: counted from the raw layer in a full
-- rebuild, carried over from the previous reconciliation in a delta run (audit/load_counts_*.sql).
INSERT INTO audit.loads (run_id, file, sha256, rows_read, rows_loaded, rows_quarantined, loaded_at, table_name,
                         reconciled, load_seq, rows_superseded, status)
WITH counts AS ({{ counts }}),
loaded AS (SELECT _load_seq AS seq, _file AS file, count(*) AS n FROM core.{{ table }} GROUP BY ALL),
quarantined AS (
    SELECT load_seq AS seq, file, count(*) AS n FROM audit.quarantine WHERE table_name = '{{ table }}' GROUP BY ALL
)
SELECT getvariable('run_id'), r.file, l.sha256, r.rows_read, coalesce(ld.n, 0), coalesce(q.n, 0), getvariable('loaded_at'),
       '{{ table }}', r.rows_current = coalesce(ld.n, 0) + coalesce(q.n, 0), r.seq, r.rows_read - r.rows_current,
       CASE WHEN l.run_id = getvariable('run_id') THEN 'loaded' ELSE 'unchanged since ' || l.run_id END
FROM counts r
JOIN raw.loads l ON l.seq = r.seq
LEFT JOIN loaded ld ON ld.seq = r.seq AND ld.file = r.file
LEFT JOIN quarantined q ON q.seq = r.seq AND q.file = r.file
ORDER BY r.seq, r.file;
