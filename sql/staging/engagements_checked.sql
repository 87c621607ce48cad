-- The current rows of raw.engagements that break a rule: the first rule each breaks, and how to fix
-- it. Ids are checked against the map of the deal's segment.
CREATE OR REPLACE TEMP TABLE engagements_checked AS
WITH mentions AS (
    -- the ids as written, one row each (ids never contain spaces; empty entries between `;` are ignored)
    SELECT _load_seq, _file, _line, map_id, kind, unnest(string_split(replace(ids, ' ', ''), ';')) AS item_id
    FROM (
        SELECT _load_seq, _file, _line, map_id, 'value_proposition' AS kind, value_propositions_text AS ids FROM engagements_typed WHERE deal_known
        UNION ALL SELECT _load_seq, _file, _line, map_id, 'issue', issues_text FROM engagements_typed WHERE deal_known
        UNION ALL SELECT _load_seq, _file, _line, map_id, 'question', questions_text FROM engagements_typed WHERE deal_known
    )
),
unknown AS (
    SELECT m._load_seq, m._file, m._line, list(DISTINCT m.item_id ORDER BY m.item_id) AS unknown_ids
    FROM mentions m ANTI JOIN core.value_map_items i
        ON i.map_id = m.map_id AND i.kind = m.kind AND i.item_id = m.item_id
    WHERE m.item_id <> ''
    GROUP BY ALL
),
verdicts AS (
    SELECT t._load_seq, t._file, t._line, t.engagement_id,
        CASE
            WHEN t.engagement_id IS NULL OR t.deal_id IS NULL OR t.occurred_at_text IS NULL THEN 'missing_required'
            WHEN u.variants > 1 THEN 'conflicting_duplicate'
            WHEN u.first_line IS NOT NULL AND t._line <> u.first_line THEN 'duplicate'
            WHEN t.occurred_at IS NULL THEN 'bad_date'
            WHEN staging.implausible(t.occurred_at) THEN 'implausible_date'
            WHEN NOT t.deal_known THEN 'unknown_deal'
            WHEN t.role_id_given IS NOT NULL AND r.role_id IS NULL THEN 'unknown_role'
            WHEN k.unknown_ids IS NOT NULL THEN 'unknown_map_id'
            WHEN t.channel IS NOT NULL AND t.channel NOT IN ('meeting', 'call', 'email', 'demo', 'other') THEN 'bad_channel'
        END AS rule,
        CASE rule
            WHEN 'missing_required' THEN 'a required value is empty (engagement_id, deal_id, occurred_at); fill it in'
            WHEN 'conflicting_duplicate' THEN 'engagement_id ' || t.engagement_id || ' appears on several different rows; keep one'
            WHEN 'duplicate' THEN 'exact copy of line ' || u.first_line || ', which loaded; remove the copy'
            WHEN 'bad_date' THEN 'occurred_at ''' || t.occurred_at_text || ''' is not an ISO date or timestamp'
            WHEN 'implausible_date' THEN staging.implausible_detail('occurred_at', t.occurred_at_text)
            WHEN 'unknown_deal' THEN 'deal_id ' || t.deal_id || ' is not a loaded deal (missing from deals or quarantined there)'
            WHEN 'unknown_role' THEN 'role_id ' || t.role_id_given || ' is not a role of map '
                                     || coalesce(t.map_id, '(none: the deal''s segment has no map)') || '; correct it or add the role'
            WHEN 'unknown_map_id' THEN 'id(s) ' || array_to_string(k.unknown_ids, ', ') || ' not in map '
                                       || coalesce(t.map_id, '(none: the deal''s segment has no map)') || ' for their column; correct them or add them to the map'
            WHEN 'bad_channel' THEN 'channel ''' || t.channel || ''' is not meeting, call, email, demo or other'
        END AS detail
    FROM engagements_typed t
    LEFT JOIN engagements_duplicates u USING (engagement_id)
    LEFT JOIN core.value_map_roles r ON r.map_id = t.map_id AND r.role_id = t.role_id_given
    LEFT JOIN unknown k ON k._load_seq = t._load_seq AND k._file = t._file AND k._line = t._line
)
SELECT * FROM verdicts WHERE rule IS NOT NULL;
