-- Contact titles of audit.unmapped_titles met in at least $min_won won deals of one segment ($segment;
-- $all_segments = every segment), most won deals first, at most $max_titles.
SELECT e.contact_title AS title, count(DISTINCT e.deal_id) AS deals,
       count(DISTINCT e.deal_id) FILTER (WHERE c.outcome = 'won') AS won,
       count(DISTINCT e.deal_id) FILTER (WHERE c.outcome IN ('won', 'lost')) AS closed
FROM core.engagements e JOIN analytics.deal_coverage c USING (deal_id)
WHERE e.role_id IS NULL AND e.contact_title IN (SELECT title FROM audit.unmapped_titles)
  AND (c.segment = $segment OR $segment = $all_segments)
GROUP BY 1 HAVING won >= $min_won ORDER BY won DESC, title LIMIT $max_titles
