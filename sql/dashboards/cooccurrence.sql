-- How strongly pairs of drivers travel together in the closed deals of a segment ('*' = every segment):
-- the phi correlation of "the deal has item A" with "the deal has item B". $1, $2, $3: segment, kind,
-- item_id of the drivers to pair (the dashboards' estimated behaviours). Reads the dashboards' temp tables.
WITH wanted AS (
    SELECT unnest($1::VARCHAR[]) AS seg, unnest($2::VARCHAR[]) AS kind, unnest($3::VARCHAR[]) AS item_id
), closed AS (
    SELECT w.seg, d.deal_id
    FROM dash_deals d JOIN (SELECT DISTINCT seg FROM wanted) w ON w.seg = '*' OR w.seg = d.segment
    WHERE d.outcome IN ('won', 'lost')
), has AS (
    SELECT DISTINCT c.seg, c.deal_id, i.kind, i.item_id
    FROM closed c JOIN dash_items i USING (deal_id)
         JOIN wanted w ON w.seg = c.seg AND w.kind = i.kind AND w.item_id = i.item_id
), totals AS (
    SELECT seg, count(*) AS n FROM closed GROUP BY seg
), singles AS (
    SELECT seg, kind, item_id, count(*) AS k FROM has GROUP BY ALL
), pairs AS (
    SELECT a.seg, a.kind AS kind_a, a.item_id AS item_a, b.kind AS kind_b, b.item_id AS item_b, count(*) AS both
    FROM has a JOIN has b ON a.seg = b.seg AND a.deal_id = b.deal_id
                          AND (a.kind <> b.kind OR a.item_id <> b.item_id)
    GROUP BY ALL
)
SELECT p.seg AS segment, p.kind_a, p.item_a, p.kind_b, p.item_b,
       (p.both::DOUBLE * t.n - sa.k::DOUBLE * sb.k)
           / sqrt(sa.k::DOUBLE * (t.n - sa.k) * sb.k * (t.n - sb.k)) AS phi
FROM pairs p JOIN totals t USING (seg)
     JOIN singles sa ON sa.seg = p.seg AND sa.kind = p.kind_a AND sa.item_id = p.item_a
     JOIN singles sb ON sb.seg = p.seg AND sb.kind = p.kind_b AND sb.item_id = p.item_b
WHERE sa.k < t.n AND sb.k < t.n
