-- Every item of every value map, in map order.
SELECT map_id, role_id, kind, item_id, text, impact, priority, position FROM core.value_map_items
