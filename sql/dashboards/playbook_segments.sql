-- The segments analytics.playbook covers.
SELECT DISTINCT segment FROM analytics.playbook ORDER BY segment
