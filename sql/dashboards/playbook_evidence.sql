-- Playbook evidence per (segment, kind, item_id): its odds ratio, q-value and whether it is significant.
SELECT segment, kind, item_id, odds_ratio, q_value, significant FROM analytics.playbook
