CREATE OR REPLACE TEMP VIEW engagements_loaded AS
SELECT t.engagement_id, t.deal_id, t.occurred_at, t.contact_id, t.contact_title,
       coalesce(t.role_id_given, tr.role_id) AS role_id,
       CASE WHEN t.role_id_given IS NOT NULL THEN 'role_id'
            WHEN tr.role_id IS NOT NULL THEN 'title:' || tr.matched_pattern END AS role_source,
       t.channel, t.value_propositions, t.issues, t.questions, t.notes, t.map_id, t._file, t._line, t._load_seq
FROM temp.engagements_typed t
ANTI JOIN temp.engagements_checked c USING (_load_seq, _file, _line)
LEFT JOIN temp.title_roles tr ON tr.map_id = t.map_id AND tr.title_key = lower(t.contact_title)
    AND t.role_id_given IS NULL;
{{ write }};
COMMENT ON TABLE core.engagements IS 'One row per meeting / call / email / demo on a deal, validated. role_id is the key player met: the CRM role_id when given, else the role whose title pattern matches contact_title (role_source says which pattern); NULL when no role matches. value_propositions / issues / questions are lists of map item ids.';
