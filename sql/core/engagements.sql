CREATE OR REPLACE TABLE core.engagements AS
SELECT c.engagement_id, c.deal_id, c.occurred_at, c.contact_id, c.contact_title,
       coalesce(c.role_id_given, t.role_id) AS role_id,
       CASE WHEN c.role_id_given IS NOT NULL THEN 'role_id'
            WHEN t.role_id IS NOT NULL THEN 'title:' || t.matched_pattern END AS role_source,
       c.channel, c.value_propositions, c.issues, c.questions, c.notes, c.map_id, c._file, c._line, c._load_seq
FROM temp.engagements_checked c
LEFT JOIN temp.title_roles t ON t.map_id = c.map_id AND t.title_key = lower(c.contact_title)
    AND c.role_id_given IS NULL
WHERE c.rule IS NULL;
COMMENT ON TABLE core.engagements IS 'One row per meeting / call / email / demo on a deal, validated. role_id is the key player met: the CRM role_id when given, else the role whose title pattern matches contact_title (role_source says which pattern); NULL when no role matches. value_propositions / issues / questions are lists of map item ids.';
