-- Every value-map item each deal covered, one row per (deal, kind, item_id), from analytics.deal_coverage.
-- A temporary table of the dashboards' connection.
CREATE OR REPLACE TEMP TABLE dash_items AS
SELECT deal_id, 'role' AS kind, unnest(roles_engaged) AS item_id FROM analytics.deal_coverage
UNION ALL SELECT deal_id, 'value_proposition', unnest(value_propositions_presented) FROM analytics.deal_coverage
UNION ALL SELECT deal_id, 'issue', unnest(issues_uncovered) FROM analytics.deal_coverage
UNION ALL SELECT deal_id, 'question', unnest(questions_asked) FROM analytics.deal_coverage
