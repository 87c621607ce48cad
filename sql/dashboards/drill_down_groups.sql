-- Each drill-down group's deals by outcome, over every deal, and its $per_outcome largest won and lost deals
-- (and open ones, for reps). A driver group (segment $segments[i] - '*' = every segment -, kind $kinds[i],
-- item $items[i]) holds the deals that covered the item; a rep group ($rep_ids) the rep's deals.
WITH wanted AS (
    SELECT unnest($segments::VARCHAR[]) AS seg, unnest($kinds::VARCHAR[]) AS kind,
           unnest($items::VARCHAR[]) AS item_id, unnest(range(len($items::VARCHAR[]))) AS driver
), members AS (
    -- grouped by the driver's number or the rep's id, and the group_key text built per group: building it per
    -- member row cost 0.8 s of 2.0 s at 1M deals
    SELECT w.driver, NULL AS rep_id, d.deal_id, d.outcome, coalesce(d.amount, 0) AS amount
    FROM dash_items i JOIN wanted w ON w.kind = i.kind AND w.item_id = i.item_id
         JOIN dash_deals d ON d.deal_id = i.deal_id
    WHERE w.seg = '*' OR w.seg = d.segment
    UNION ALL
    SELECT NULL, d.rep_id, d.deal_id, d.outcome, coalesce(d.amount, 0)
    FROM dash_deals d SEMI JOIN (SELECT unnest($rep_ids::VARCHAR[]) AS rep_id) r USING (rep_id)
), grouped AS (
    SELECT driver, rep_id, count(*) FILTER (WHERE outcome = 'won') AS won,
           count(*) FILTER (WHERE outcome = 'lost') AS lost, count(*) FILTER (WHERE outcome = 'open') AS open,
           max_by(deal_id, amount, $per_outcome) FILTER (WHERE outcome = 'won') AS top_won,
           max_by(deal_id, amount, $per_outcome) FILTER (WHERE outcome = 'lost') AS top_lost,
           max_by(deal_id, amount, $per_outcome) FILTER (WHERE outcome = 'open' AND rep_id IS NOT NULL) AS top_open
    FROM members GROUP BY driver, rep_id
)
SELECT coalesce('rep|' || g.rep_id, 'driver|' || w.seg || '|' || w.kind || '|' || w.item_id) AS group_key,
       won, lost, open, top_won, top_lost, top_open
FROM grouped g LEFT JOIN wanted w USING (driver)
