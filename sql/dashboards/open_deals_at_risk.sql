-- Scored open deals most at risk: amount x (1 - win probability), in the deal's own currency. Keeps the
-- $max_points riskiest overall, the $max_per_team riskiest per team and the $max_per_segment riskiest per
-- segment; list_rank, team_rank and segment_rank say which. better_than_baseline: whether the model that
-- scored the deal beats always guessing the average win rate.
WITH scored AS (
    SELECT s.deal_id, s.rep_id, coalesce(r.name, s.rep_id) AS rep_name, d.team, d.segment, d.account_name,
           s.win_probability, d.amount, d.currency, d.created_at, s.top_positive, s.top_negative,
           s.next_best_action, s.note, s.expected_lift,
           coalesce(d.amount, 0) * (1 - s.win_probability) AS value_at_risk, m.better_than_baseline
    FROM analytics.open_deal_scores s JOIN filtered_deals d USING (deal_id)
         LEFT JOIN core.reps r ON r.rep_id = s.rep_id
         LEFT JOIN (SELECT segment, any_value(better_than_baseline) AS better_than_baseline
                    FROM analytics.model_quality GROUP BY segment) m ON m.segment = s.model_segment
    WHERE s.win_probability IS NOT NULL
), ranked AS (
    SELECT *, row_number() OVER (ORDER BY value_at_risk DESC, deal_id) AS list_rank,
           row_number() OVER (PARTITION BY team ORDER BY value_at_risk DESC, deal_id) AS team_rank,
           row_number() OVER (PARTITION BY segment ORDER BY value_at_risk DESC, deal_id) AS segment_rank
    FROM scored
)
SELECT * FROM ranked
WHERE list_rank <= $max_points OR team_rank <= $max_per_team OR segment_rank <= $max_per_segment
ORDER BY value_at_risk DESC, deal_id
