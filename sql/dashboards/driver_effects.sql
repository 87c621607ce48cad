-- Every analytics.driver_effects row the dashboards show: raw association, adjusted effect, status.
SELECT segment, kind, item_id, deals_with, deals_without, win_rate_with, win_rate_without, lift, lift_ci_low,
       lift_ci_high, p_value, q_value, odds_ratio, or_ci_low, or_ci_high, significant, status, note
FROM analytics.driver_effects ORDER BY segment, kind, item_id
