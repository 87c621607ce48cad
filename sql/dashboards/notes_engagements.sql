-- Engagements, those with notes, and those carrying at least one tag read from the notes; and how many
-- items are read from notes (analytics.tagging_quality.used) out of those measured.
SELECT (SELECT count(*) FROM core.engagements) AS engagements,
       (SELECT count(*) FROM core.engagements WHERE nullif(trim(notes), '') IS NOT NULL) AS with_notes,
       (SELECT count(DISTINCT engagement_id) FROM core.engagement_tags WHERE source = 'notes') AS tagged_from_notes,
       (SELECT count(*) FILTER (WHERE used) FROM analytics.tagging_quality) AS items_used,
       (SELECT count(*) FROM analytics.tagging_quality) AS items_measured
