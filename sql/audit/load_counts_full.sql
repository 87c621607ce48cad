-- Per file of every load of raw.{{ table }}: rows read, and rows still current (not superseded by a later export).
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
)
SELECT r.seq, r.file, r.n AS rows_read, coalesce(c.n, 0) AS rows_current
FROM read r LEFT JOIN current_rows c ON c.seq = r.seq AND c.file = r.file
