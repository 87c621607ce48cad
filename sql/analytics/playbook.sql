CREATE OR REPLACE TABLE analytics.playbook AS SELECT * FROM playbook_frame;
COMMENT ON TABLE analytics.playbook IS 'The value map as a sales playbook ranked by evidence: per segment and role, the key players, value propositions, issues and questions, rank 1 = most evidence of winning; items with negative evidence come last and are flagged. Read it with `valuedata playbook --segment S`.';
