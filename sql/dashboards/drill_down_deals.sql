-- The deals the drill-down lists (those in $picked; every deal when $picked is NULL), largest first, each with
-- its rep's name and team ($no_team), key-player coverage and the items it covered (kinds[i], items[i]).
WITH picked AS (
    SELECT deal_id FROM dash_deals
    WHERE $picked::VARCHAR[] IS NULL OR list_contains($picked::VARCHAR[], deal_id)
), covered AS (
    SELECT i.deal_id, list(i.kind ORDER BY i.kind, i.item_id) AS kinds,
           list(i.item_id ORDER BY i.kind, i.item_id) AS items
    FROM dash_items i JOIN picked USING (deal_id) GROUP BY i.deal_id
)
SELECT d.deal_id, d.account_name, d.rep_id, coalesce(r.name, d.rep_id) AS rep_name,
       coalesce(r.team, $no_team) AS team, d.segment, d.outcome, d.amount, d.currency, d.created_at, d.closed_at,
       c.key_role_coverage AS coverage, coalesce(v.kinds, []) AS kinds, coalesce(v.items, []) AS items
FROM picked p JOIN dash_deals d USING (deal_id) LEFT JOIN covered v USING (deal_id)
     LEFT JOIN analytics.deal_coverage c ON c.deal_id = d.deal_id LEFT JOIN core.reps r ON r.rep_id = d.rep_id
ORDER BY d.amount DESC NULLS LAST, d.deal_id
