-- The rep_gaps rows to coach on (coach: a proven driver, a gap beyond chance, reps differ, enough closed
-- deals), with the rep's name and team ($no_team).
SELECT g.rep_id, coalesce(r.name, g.rep_id) AS rep_name, coalesce(r.team, $no_team) AS team, g.kind, g.item_id,
       g.rep_rate, g.top_rate, g.contribution
FROM analytics.rep_gaps g LEFT JOIN core.reps r USING (rep_id)
WHERE g.coach AND g.contribution IS NOT NULL
