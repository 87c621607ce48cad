-- Every rep of analytics.rep_scorecard with a name (the id when there is none) and a team ($no_team).
SELECT rep_id, coalesce(name, rep_id) AS rep_name, coalesce(team, $no_team) AS team, closed_deals, wins,
       win_rate, win_rate_shrunk, expected_win_rate, mix_win_rate, key_role_coverage, win_rate_ci_low,
       win_rate_ci_high, win_rate_shrunk_ci_low, win_rate_shrunk_ci_high, small_sample, reps_differ
FROM analytics.rep_scorecard ORDER BY rep_id
