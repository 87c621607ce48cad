-- Deals per (team, segment, outcome, quarter): won and lost by the quarter they closed, open by the one
-- they were created in.
SELECT team, segment, outcome, deal_quarter AS quarter, count(*) AS deals
FROM filtered_deals GROUP BY ALL
