-- A query read by the playbook step (not a table): per (segment, map_id, question), in how many engagements the
-- question was asked (asked_in), in how many of them an issue it uncovers was recorded too (surfaced), and per
-- such issue in how many (found: a list of {issue, engagements}). Tags are core.engagement_tags (CRM fields and
-- trusted notes tags; one row per engagement, kind and item, so nothing is counted twice); a deal's segment and
-- map come from analytics.deal_coverage (deals without a map are left out).
WITH asked AS (
    SELECT t.engagement_id, c.segment, c.map_id, t.item_id AS question
    FROM core.engagement_tags t JOIN analytics.deal_coverage c USING (deal_id)
    WHERE t.kind = 'question' AND c.map_id IS NOT NULL
),
uncovers AS (
    SELECT DISTINCT map_id, from_id AS question, to_id AS issue FROM core.value_map_links WHERE relation = 'uncovers'
),
found AS (
    SELECT a.engagement_id, a.segment, a.map_id, a.question, u.issue
    FROM asked a JOIN uncovers u USING (map_id, question)
    SEMI JOIN core.engagement_tags i ON i.kind = 'issue' AND i.engagement_id = a.engagement_id AND i.item_id = u.issue
),
per_question AS (
    SELECT segment, map_id, question, count(DISTINCT engagement_id) AS surfaced FROM found GROUP BY ALL
),
per_issue AS (
    SELECT segment, map_id, question, list({'issue': issue, 'engagements': engagements}) AS found
    FROM (SELECT segment, map_id, question, issue, count(*) AS engagements FROM found GROUP BY ALL)
    GROUP BY ALL
)
SELECT segment, map_id, question, a.asked_in, coalesce(q.surfaced, 0) AS surfaced, coalesce(i.found, []) AS found
FROM (SELECT segment, map_id, question, count(*) AS asked_in FROM asked GROUP BY ALL) a
LEFT JOIN per_question q USING (segment, map_id, question)
LEFT JOIN per_issue i USING (segment, map_id, question)
ORDER BY segment, map_id, question
