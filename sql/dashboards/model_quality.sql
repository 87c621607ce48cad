-- The latest model fit per segment: how well it scores, checked how, and whether it beats the base rate.
SELECT segment, closed_deals, auc_cv, brier_cv, baseline_brier, auc_cv_explanatory, cv_scheme, scoring_model,
       note, better_than_baseline
FROM analytics.model_quality
QUALIFY row_number() OVER (PARTITION BY segment ORDER BY fitted_at DESC) = 1
