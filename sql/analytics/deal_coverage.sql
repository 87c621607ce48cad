-- One row per deal (in a delta run, per deal it recomputes: {{ deal_scope }}).
CREATE OR REPLACE TEMP VIEW deal_coverage_rows AS
WITH per_deal AS (
    -- ids joined into one `;` string per deal first: far cheaper than aggregating lists
    SELECT deal_id,
           staging.id_set(string_agg(role_id, ';')) AS roles_engaged,
           count(*) AS engagements, min(occurred_at) AS first_engagement_at, max(occurred_at) AS last_engagement_at
    FROM core.engagements WHERE {{ deal_scope }} GROUP BY deal_id
),
tagged AS (
    -- every tag that counts: the CRM's tag fields and the notes tags of trusted items (core.engagement_tags)
    SELECT deal_id,
           staging.id_set(string_agg(item_id, ';') FILTER (WHERE kind = 'value_proposition')) AS value_propositions_presented,
           staging.id_set(string_agg(item_id, ';') FILTER (WHERE kind = 'issue')) AS issues_uncovered,
           staging.id_set(string_agg(item_id, ';') FILTER (WHERE kind = 'question')) AS questions_asked
    FROM core.engagement_tags WHERE {{ deal_scope }} GROUP BY deal_id
),
key_roles AS (
    SELECT map_id, list_sort(list(role_id)) AS key_roles, count(*) AS key_roles_total
    FROM core.value_map_roles WHERE key_player GROUP BY map_id
)
SELECT d.deal_id, d.rep_id, d.segment, d.map_id, d.outcome, d.amount,
       coalesce(p.roles_engaged, []) AS roles_engaged,
       coalesce(k.key_roles_total, 0) AS key_roles_total,
       CASE WHEN k.key_roles_total > 0
            THEN len(list_intersect(coalesce(p.roles_engaged, []), k.key_roles)) / k.key_roles_total END
           AS key_role_coverage,
       coalesce(t.value_propositions_presented, []) AS value_propositions_presented,
       coalesce(t.issues_uncovered, []) AS issues_uncovered,
       coalesce(t.questions_asked, []) AS questions_asked,
       coalesce(p.engagements, 0) AS engagements,
       list_filter(coalesce(k.key_roles, []), lambda r: NOT list_contains(coalesce(p.roles_engaged, []), r))
           AS key_roles_missing,
       d.created_at, d.closed_at, p.first_engagement_at, p.last_engagement_at
FROM core.deals d
LEFT JOIN per_deal p USING (deal_id)
LEFT JOIN tagged t USING (deal_id)
LEFT JOIN key_roles k USING (map_id)
WHERE {{ deal_scope }};
{{ write }};
COMMENT ON TABLE analytics.deal_coverage IS 'One row per deal: which key players were engaged (roles_engaged, key_role_coverage = share of the map''s key players met, NULL when the segment has no map), which value propositions were presented, issues uncovered and questions asked (lists of map item ids, from core.engagement_tags: the CRM''s tag fields and trusted notes tags), and how many engagements.';
COMMENT ON COLUMN analytics.deal_coverage.key_roles_missing IS 'Key players of the map not yet engaged on this deal.';
