-- Every row of raw.engagements, typed, resolved against its deal's value map, with the first rule
-- it breaks (rule NULL = loads). Ids are checked against the map of the deal's segment.
CREATE OR REPLACE TEMP TABLE engagements_checked AS
WITH src AS (
    SELECT _load_seq, _file, _line,
           staging.clean(engagement_id) AS engagement_id, staging.clean(deal_id) AS deal_id,
           staging.clean(occurred_at) AS occurred_at_text, staging.clean(contact_id) AS contact_id,
           staging.clean(contact_title) AS contact_title, staging.clean(role_id) AS role_id_given,
           lower(staging.clean(channel)) AS channel,
           staging.id_list(value_propositions) AS value_propositions,
           staging.id_list(issues) AS issues, staging.id_list(questions) AS questions,
           notes
    FROM raw.engagements
),
dup_ids AS (
    SELECT engagement_id FROM src WHERE engagement_id IS NOT NULL GROUP BY engagement_id HAVING count(*) > 1
),
dups AS (
    SELECT staging.clean(r.engagement_id) AS engagement_id, count(DISTINCT hash({{ row_struct }})) AS variants,
           min(r._line) AS first_line
    FROM raw.engagements r SEMI JOIN dup_ids d ON staging.clean(r.engagement_id) = d.engagement_id
    GROUP BY ALL
),
deal_maps AS (
    SELECT s._load_seq, s._file, s._line, d.map_id, s.value_propositions, s.issues, s.questions
    FROM src s JOIN core.deals d USING (deal_id)
),
mentions AS (
    SELECT _load_seq, _file, _line, map_id, 'value_proposition' AS kind, unnest(value_propositions) AS item_id FROM deal_maps
    UNION ALL SELECT _load_seq, _file, _line, map_id, 'issue', unnest(issues) FROM deal_maps
    UNION ALL SELECT _load_seq, _file, _line, map_id, 'question', unnest(questions) FROM deal_maps
),
unknown AS (
    SELECT m._load_seq, m._file, m._line, list(m.item_id ORDER BY m.item_id) AS unknown_ids
    FROM mentions m ANTI JOIN core.value_map_items i
        ON i.map_id = m.map_id AND i.kind = m.kind AND i.item_id = m.item_id
    GROUP BY ALL
),
typed AS (
    SELECT s.*, TRY_CAST(s.occurred_at_text AS TIMESTAMP) AS occurred_at,
           d.deal_id IS NOT NULL AS deal_known, d.map_id, k.unknown_ids,
           s.role_id_given IS NOT NULL AND r.role_id IS NULL AS role_unknown,
           u.variants, u.first_line
    FROM src s
    LEFT JOIN dups u USING (engagement_id)
    LEFT JOIN core.deals d USING (deal_id)
    LEFT JOIN core.value_map_roles r ON r.map_id = d.map_id AND r.role_id = s.role_id_given
    LEFT JOIN unknown k ON k._load_seq = s._load_seq AND k._file = s._file AND k._line = s._line
)
SELECT t.* EXCLUDE (variants, first_line, deal_known, role_unknown, unknown_ids),
    CASE
        WHEN t.engagement_id IS NULL OR t.deal_id IS NULL OR t.occurred_at_text IS NULL THEN 'missing_required'
        WHEN t.variants > 1 THEN 'conflicting_duplicate'
        WHEN t.first_line IS NOT NULL AND t._line <> t.first_line THEN 'duplicate'
        WHEN t.occurred_at IS NULL THEN 'bad_date'
        WHEN NOT t.deal_known THEN 'unknown_deal'
        WHEN t.role_unknown THEN 'unknown_role'
        WHEN t.unknown_ids IS NOT NULL THEN 'unknown_map_id'
        WHEN t.channel IS NOT NULL AND t.channel NOT IN ('meeting', 'call', 'email', 'demo', 'other') THEN 'bad_channel'
    END AS rule,
    CASE rule
        WHEN 'missing_required' THEN 'a required value is empty (engagement_id, deal_id, occurred_at); fill it in'
        WHEN 'conflicting_duplicate' THEN 'engagement_id ' || t.engagement_id || ' appears on several different rows; keep one'
        WHEN 'duplicate' THEN 'exact copy of line ' || t.first_line || ', which loaded; remove the copy'
        WHEN 'bad_date' THEN 'occurred_at ''' || t.occurred_at_text || ''' is not an ISO date or timestamp'
        WHEN 'unknown_deal' THEN 'deal_id ' || t.deal_id || ' is not a loaded deal (missing from deals or quarantined there)'
        WHEN 'unknown_role' THEN 'role_id ' || t.role_id_given || ' is not a role of map '
                                 || coalesce(t.map_id, '(none: the deal''s segment has no map)') || '; correct it or add the role'
        WHEN 'unknown_map_id' THEN 'id(s) ' || array_to_string(t.unknown_ids, ', ') || ' not in map '
                                   || coalesce(t.map_id, '(none: the deal''s segment has no map)') || ' for their column; correct them or add them to the map'
        WHEN 'bad_channel' THEN 'channel ''' || t.channel || ''' is not meeting, call, email, demo or other'
    END AS detail
FROM typed t;
