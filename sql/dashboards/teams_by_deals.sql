-- Teams of the deals' reps, most deals first.
SELECT team, count(*) AS deals FROM dash_deals GROUP BY team ORDER BY deals DESC, team
