-- Rows audit.quarantine holds now, per (file, rule), most first, at most $max_rows; `total` is the overall count.
SELECT file, rule, count(*) AS rows, sum(count(*)) OVER () AS total
FROM audit.quarantine GROUP BY ALL ORDER BY rows DESC, file, rule
LIMIT $max_rows
