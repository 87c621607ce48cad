-- The overview cards for every (period, segment, team) of the filters ($all where a filter is not set).
-- Deals count in their quarter (dash_deals.deal_quarter). $periods, $starts, $ends: each period's id and
-- [start, end) bounds (NULL = all time). Rows with by_currency false: deals, closed, won, open and reps;
-- rows with by_currency true: the open deals of one currency and their amount (never added across currencies).
WITH periods AS (
    SELECT unnest($periods::VARCHAR[]) AS period, unnest($starts::DATE[]) AS p_start,
           unnest($ends::DATE[]) AS p_end
), dated AS (
    SELECT d.*, p.period FROM filtered_deals d JOIN periods p
    ON p.p_start IS NULL OR (d.deal_quarter >= p.p_start AND d.deal_quarter < p.p_end)
)
SELECT period, coalesce(segment, $all) AS segment, coalesce(team, $all) AS team, currency,
       grouping(currency) = 0 AS by_currency,
       count(*) AS deals, count(*) FILTER (WHERE outcome <> 'open') AS closed,
       count(*) FILTER (WHERE outcome = 'won') AS won, count(*) FILTER (WHERE outcome = 'open') AS open,
       count(DISTINCT rep_id) AS reps, coalesce(sum(amount) FILTER (WHERE outcome = 'open'), 0) AS open_amount
FROM dated
GROUP BY GROUPING SETS ((period), (period, segment), (period, team), (period, segment, team),
                        (period, currency), (period, segment, currency), (period, team, currency),
                        (period, segment, team, currency))
