-- One segment's playbook ($segment), by role and rank, with the share of each item's deals known only from
-- call notes.
SELECT p.*, n.notes_share FROM analytics.playbook p
LEFT JOIN analytics.tagging_quality n USING (map_id, kind, item_id)
WHERE p.segment = $segment ORDER BY p.role_rank, p.rank
