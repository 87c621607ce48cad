-- Whether reps differ beyond chance: the one row of analytics.rep_heterogeneity.
SELECT verdict, reps, closed_deals FROM analytics.rep_heterogeneity LIMIT 1
