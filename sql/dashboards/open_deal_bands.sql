-- Scored open deals per (team, segment, win-probability decile): how many. Amounts are not summed: deals
-- carry different currencies.
SELECT d.team, d.segment, least(9, floor(s.win_probability * 10))::INT AS band, count(*) AS deals
FROM analytics.open_deal_scores s JOIN filtered_deals d USING (deal_id)
WHERE s.win_probability IS NOT NULL GROUP BY ALL
