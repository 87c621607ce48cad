-- The field tags: every id listed in an engagement's tag fields. Notes tags are appended by the tagging step.
CREATE OR REPLACE TABLE core.engagement_tags AS
SELECT engagement_id, deal_id, map_id, kind, item_id, 'field' AS source, 1.0::DOUBLE AS confidence
FROM (
    SELECT engagement_id, deal_id, map_id, 'value_proposition' AS kind, unnest(value_propositions) AS item_id
    FROM core.engagements
    UNION ALL
    SELECT engagement_id, deal_id, map_id, 'issue', unnest(issues) FROM core.engagements
    UNION ALL
    SELECT engagement_id, deal_id, map_id, 'question', unnest(questions) FROM core.engagements
);
COMMENT ON TABLE core.engagement_tags IS 'One row per (engagement_id, kind, item_id): every value proposition presented, issue uncovered and question asked. source = ''field'' when the CRM''s tag field lists it (confidence 1.0), ''notes'' when read from the free-text notes (confidence = the tagger''s score; only items whose notes tags reach 95% cross-validated precision, see analytics.tagging_quality). A field tag always wins: notes tags are added only where the fields are empty. Coverage and every analysis use these tags.';
COMMENT ON COLUMN core.engagement_tags.source IS 'field = the CRM tag field; notes = read from the notes';
COMMENT ON COLUMN core.engagement_tags.confidence IS '1.0 for field tags; for notes tags the model''s probability (or the cold-start match score)';
