CREATE OR REPLACE TABLE analytics.tagging_quality AS
WITH per_deal AS (
    SELECT map_id, kind, item_id, deal_id, bool_and(source = 'notes') AS notes_only,
           count(*) FILTER (WHERE source = 'notes') AS notes_tags
    FROM core.engagement_tags GROUP BY ALL
),
evidence AS (
    SELECT map_id, kind, item_id, sum(notes_tags)::BIGINT AS notes_tags, count(*) AS deals_with,
           count(*) FILTER (WHERE notes_only) AS deals_from_notes
    FROM per_deal GROUP BY ALL
)
SELECT q.segment, q.kind, q.item_id, q.labelled_engagements, q.precision_cv, q.recall_cv, q.threshold, q.used,
       q.note, q.map_id, q.method, q.positives, coalesce(e.notes_tags, 0) AS notes_tags,
       coalesce(e.deals_with, 0) AS deals_with, coalesce(e.deals_from_notes, 0) AS deals_from_notes,
       CASE WHEN e.deals_with > 0 THEN e.deals_from_notes / e.deals_with END AS notes_share
FROM tagging_quality_frame q
LEFT JOIN evidence e USING (map_id, kind, item_id)
ORDER BY q.segment, q.kind, q.item_id;
COMMENT ON TABLE analytics.tagging_quality IS 'One row per (segment, kind, item_id) of the value maps: how well the item is read from call notes. method = supervised (learnt from engagements whose tag fields are filled: labelled_engagements of them, positives listing this item; precision_cv / recall_cv cross-validated by deal at threshold) or cold_start (no field tags to learn from: matched on the map''s words and keywords, not measured). used = whether its notes tags count (supervised: cross-validated precision reached 0.95); note says why not. notes_tags, deals_with, deals_from_notes and notes_share (share of the deals with the item whose only evidence is notes) say how much of the item''s evidence comes from notes.';
COMMENT ON COLUMN analytics.tagging_quality.notes_share IS 'Share of the deals with this item whose evidence comes only from notes tags (NULL when no deal has it).';
COMMENT ON COLUMN analytics.tagging_quality.labelled_engagements IS 'supervised: field-tagged engagements with notes the model learnt from; cold_start: engagements whose field lists an item of this kind (too few to learn).';
