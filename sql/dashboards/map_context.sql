-- What each role of one map ($map_id) cares about: its objectives, metrics and strategies, in map order.
SELECT role_id, kind, text, impact FROM core.value_map_items
WHERE map_id = $map_id AND kind IN ('objective', 'metric', 'strategy')
ORDER BY role_id, kind, priority NULLS LAST, position
