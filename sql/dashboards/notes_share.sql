-- How much of each driver's evidence comes from call notes: per (segment, kind, item_id) of
-- analytics.driver_effects, the share of the deals with the item whose only evidence is a notes tag
-- (analytics.tagging_quality, summed over the maps of the fit; '*' = every map).
WITH fits AS (
    SELECT DISTINCT segment, kind, item_id, unnest(string_split(map_id, ',')) AS map_id
    FROM analytics.driver_effects WHERE kind <> 'attribute' AND map_id IS NOT NULL
)
SELECT f.segment, f.kind, f.item_id,
       sum(t.deals_from_notes)::DOUBLE / nullif(sum(t.deals_with), 0) AS notes_share
FROM fits f JOIN analytics.tagging_quality t USING (map_id, kind, item_id)
GROUP BY ALL
