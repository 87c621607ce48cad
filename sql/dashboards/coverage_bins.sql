-- Closed deals per (team, segment, quarter closed, key-player coverage bin): won and closed counts.
-- Bins: 0 = none, 1 = 1-25%, 2 = 26-50%, 3 = 51-75%, 4 = 76-99%, 5 = every key player.
SELECT d.team, d.segment, date_trunc('quarter', d.closed_at)::DATE AS quarter,
       CASE WHEN c.key_role_coverage <= 0 THEN 0 WHEN c.key_role_coverage >= 1 THEN 5
            ELSE least(4, 1 + floor(c.key_role_coverage * 4 - 1e-9))::INT END AS bin,
       count(*) FILTER (WHERE d.outcome = 'won') AS won, count(*) AS closed
FROM analytics.deal_coverage c JOIN filtered_deals d USING (deal_id)
WHERE d.outcome IN ('won', 'lost') AND c.key_role_coverage IS NOT NULL
GROUP BY ALL
