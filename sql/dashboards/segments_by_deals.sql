-- Deal segments, most deals first.
SELECT segment, count(*) AS deals FROM dash_deals WHERE segment IS NOT NULL
GROUP BY segment ORDER BY deals DESC, segment
