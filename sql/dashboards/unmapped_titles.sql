-- The most frequent contact titles of audit.unmapped_titles, at most $max_titles per segment: overall
-- (segment $all) and per segment of the filters.
WITH counted AS (
    SELECT coalesce(d.segment, $all) AS segment, e.contact_title AS title, count(*) AS engagements
    FROM core.engagements e JOIN filtered_deals d USING (deal_id)
    WHERE e.contact_title IN (SELECT title FROM audit.unmapped_titles) AND e.role_id IS NULL
    GROUP BY GROUPING SETS ((e.contact_title), (d.segment, e.contact_title))
)
SELECT * FROM counted
QUALIFY row_number() OVER (PARTITION BY segment ORDER BY engagements DESC, title) <= $max_titles
ORDER BY segment, engagements DESC, title
