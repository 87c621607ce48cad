-- Whether the warehouse holds analytics.playbook at all (a warehouse a run has never finished does not).
SELECT count(*) > 0 AS present FROM information_schema.tables
WHERE table_schema = 'analytics' AND table_name = 'playbook'
