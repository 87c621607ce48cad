-- The maps' links: which issues each value proposition addresses and each question uncovers.
SELECT map_id, from_kind, from_id, relation, to_id FROM core.value_map_links
