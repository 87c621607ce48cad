CREATE OR REPLACE TABLE analytics.model_quality AS SELECT * FROM model_quality_frame;
COMMENT ON TABLE analytics.model_quality IS 'One row per model fit (segment): cross-validated AUC and Brier score against the base-rate Brier score. A model no better than the base rate should not be used to rank drivers or score deals.';
