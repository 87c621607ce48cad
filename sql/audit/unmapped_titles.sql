-- Unmapped contact titles; a delta run recounts only the titles its changes reach ({{ title_scope }})
-- and keeps the others' rows.
CREATE OR REPLACE TEMP TABLE unmapped_titles_rows AS
SELECT e.contact_title AS title,
       count(*) AS engagements,
       count(DISTINCT e.deal_id) AS deals,
       count(DISTINCT e.deal_id) FILTER (WHERE d.outcome = 'won') AS won_deals,
       count(DISTINCT e.deal_id) FILTER (WHERE d.outcome = 'lost') AS lost_deals,
       list_sort(list_distinct(list(d.segment))) AS segments
FROM core.engagements e JOIN core.deals d USING (deal_id)
WHERE e.role_id IS NULL AND e.contact_title IS NOT NULL AND {{ title_scope }}
GROUP BY e.contact_title
UNION ALL
SELECT * FROM audit.unmapped_titles WHERE NOT ({{ kept_scope }});
CREATE OR REPLACE TABLE audit.unmapped_titles AS SELECT * FROM temp.unmapped_titles_rows ORDER BY engagements DESC, title;
DROP TABLE temp.unmapped_titles_rows;
COMMENT ON TABLE audit.unmapped_titles IS 'Contact titles that matched no role''s title_patterns (the engagement loaded with an empty role_id): extend a map''s title_patterns to cover the frequent ones.';
