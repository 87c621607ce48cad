-- Reconcile one CRM table, per file it was ever loaded from:
-- rows read = rows loaded + rows quarantined (+ rows superseded by a later export of the same ids).
INSERT INTO audit.loads (run_id, file, sha256, rows_read, rows_loaded, rows_quarantined, loaded_at, table_name,
                         reconciled, load_seq, rows_superseded, status)
WITH counted AS (
    SELECT _load_seq AS seq, _file AS file, count(*) AS n FROM raw.{{ table }}_all GROUP BY ALL
    UNION ALL
    SELECT load_seq, file, count(*) FROM raw.malformed_rows WHERE table_name = '{{ table }}' GROUP BY ALL
),
read AS (  -- every file loaded, a header-only one too (0 rows read)
    SELECT l.seq, coalesce(c.file, l.file) AS file, coalesce(sum(c.n), 0) AS n
    FROM raw.loads l LEFT JOIN counted c ON c.seq = l.seq
    WHERE l.table_name = '{{ table }}' AND l.sha256 IS NOT NULL GROUP BY ALL
),
current_rows AS (
    SELECT seq, file, sum(n) AS n FROM (
        SELECT _load_seq AS seq, _file AS file, count(*) AS n FROM raw.{{ table }} GROUP BY ALL
        UNION ALL
        SELECT load_seq, file, count(*) FROM raw.malformed_rows WHERE table_name = '{{ table }}' GROUP BY ALL
    ) GROUP BY ALL
),
loaded AS (SELECT _load_seq AS seq, _file AS file, count(*) AS n FROM core.{{ table }} GROUP BY ALL),
quarantined AS (
    SELECT load_seq AS seq, file, count(*) AS n FROM audit.quarantine WHERE table_name = '{{ table }}' GROUP BY ALL
)
SELECT getvariable('run_id'), r.file, l.sha256, r.n, coalesce(ld.n, 0), coalesce(q.n, 0), getvariable('loaded_at'),
       '{{ table }}', coalesce(c.n, 0) = coalesce(ld.n, 0) + coalesce(q.n, 0), r.seq, r.n - coalesce(c.n, 0),
       CASE WHEN l.run_id = getvariable('run_id') THEN 'loaded' ELSE 'unchanged since ' || l.run_id END
FROM read r
JOIN raw.loads l ON l.seq = r.seq
LEFT JOIN current_rows c ON c.seq = r.seq AND c.file = r.file
LEFT JOIN loaded ld ON ld.seq = r.seq AND ld.file = r.file
LEFT JOIN quarantined q ON q.seq = r.seq AND q.file = r.file
ORDER BY r.seq, r.file;
