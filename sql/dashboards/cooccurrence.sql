-- Which of the given drivers each closed deal has, as a bit mask, counted per (segment, mask): enough to work
-- out how strongly any two of them travel together (their phi correlation) without pairing items deal by deal.
-- $segments, $kinds, $items, $bits: segment ('*' = every segment), kind, item_id and bit (0-63) of each
-- driver. $stride: keep one deal in $stride (by hash of its id; 1 = every deal), so very large warehouses are
-- read in a sample. Reads the dashboards' temp tables.
WITH wanted AS (
    SELECT unnest($segments::VARCHAR[]) AS seg, unnest($kinds::VARCHAR[]) AS kind,
           unnest($items::VARCHAR[]) AS item_id, unnest($bits::INTEGER[]) AS bit
), closed AS (
    SELECT w.seg, d.deal_id
    FROM dash_deals d JOIN (SELECT DISTINCT seg FROM wanted) w ON w.seg = '*' OR w.seg = d.segment
    WHERE d.outcome IN ('won', 'lost') AND hash(d.deal_id) % $stride::UBIGINT = 0
), hits AS (
    SELECT c.seg, c.deal_id, bit_or(1::UBIGINT << w.bit) AS mask
    FROM closed c JOIN dash_items i USING (deal_id)
         JOIN wanted w ON w.seg = c.seg AND w.kind = i.kind AND w.item_id = i.item_id
    GROUP BY ALL
)
SELECT c.seg AS segment, coalesce(h.mask, 0::UBIGINT) AS mask, count(*) AS deals
FROM closed c LEFT JOIN hits h USING (seg, deal_id)
GROUP BY ALL
