-- One row: how recent the inputs are and when this warehouse was published (dashboards show it as "data as of").
CREATE OR REPLACE TABLE audit.freshness AS
SELECT getvariable('run_id') AS run_id, * FROM freshness_frame;
COMMENT ON TABLE audit.freshness IS 'One row, rewritten by every run: newest deal created_at, newest engagement occurred_at, last time a file with new content was loaded, the newest of the three (newest_input_at), when this warehouse was published (UTC), the input age in hours at publication and whether it was within VALUEDATA_MAX_INPUT_AGE_HOURS. Warehouse age now = now - published_at.';
