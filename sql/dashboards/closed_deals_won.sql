-- Closed and won deals of one segment ($segment; $all_segments = every segment).
SELECT count(*) FILTER (WHERE outcome IN ('won', 'lost')) AS closed, count(*) FILTER (WHERE outcome = 'won') AS won
FROM analytics.deal_coverage WHERE segment = $segment OR $segment = $all_segments
