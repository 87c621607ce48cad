-- The dashboards' deals: every deal of core.deals with its rep's team ($no_team when the rep has none) and
-- the quarter it counts in (closed deals when they closed, open ones when they were created). A temporary
-- table of the dashboards' connection: the warehouse itself is never written.
CREATE OR REPLACE TEMP TABLE dash_deals AS
SELECT d.deal_id, d.segment, d.rep_id, d.outcome, CAST(d.amount AS DOUBLE) AS amount, d.currency,
       d.created_at, d.closed_at, coalesce(r.team, $no_team) AS team, d.account_name,
       date_trunc('quarter', CASE WHEN d.outcome = 'open' THEN d.created_at
                                  ELSE coalesce(d.closed_at, d.created_at) END)::DATE AS deal_quarter
FROM core.deals d LEFT JOIN core.reps r USING (rep_id)
