-- Reconcile one CRM table: per source file, rows read (raw) = rows loaded (core) + rows quarantined.
INSERT INTO audit.loads (run_id, file, sha256, rows_read, rows_loaded, rows_quarantined, loaded_at, table_name, reconciled)
WITH read AS (
    SELECT {{ file_expr }} AS file, count(*) AS n FROM raw.{{ table }} GROUP BY 1
),
loaded AS (SELECT _file AS file, count(*) AS n FROM core.{{ table }} GROUP BY 1),
quarantined AS (
    SELECT file, count(*) AS n FROM audit.quarantine
    WHERE table_name = '{{ table }}' AND run_id = getvariable('run_id') GROUP BY 1
)
SELECT getvariable('run_id'), r.file, {{ sha256 }}, r.n, coalesce(l.n, 0), coalesce(q.n, 0),
       getvariable('loaded_at'), '{{ table }}', r.n = coalesce(l.n, 0) + coalesce(q.n, 0)
FROM read r LEFT JOIN loaded l USING (file) LEFT JOIN quarantined q USING (file);
