-- Closed deals per (team, segment, month of closed_at): won and closed counts.
SELECT team, segment, date_trunc('month', closed_at)::DATE AS month,
       count(*) FILTER (WHERE outcome = 'won') AS won, count(*) AS closed
FROM filtered_deals WHERE outcome IN ('won', 'lost') AND closed_at IS NOT NULL
GROUP BY ALL ORDER BY month
