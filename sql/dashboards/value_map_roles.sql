-- Every role of every value map, in map order.
SELECT map_id, role_id, title, key_player, position FROM core.value_map_roles
