CREATE OR REPLACE TABLE analytics.rep_heterogeneity AS SELECT * FROM rep_heterogeneity_frame;
COMMENT ON TABLE analytics.rep_heterogeneity IS 'Do reps differ beyond chance? The test, its statistic and p-value, and a plain verdict: when they do not, nobody should be coached on win rate.';
