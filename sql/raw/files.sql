CREATE OR REPLACE TABLE raw.files AS SELECT * FROM raw_files_frame;
COMMENT ON TABLE raw.files IS 'The CRM files this run read into raw.deals / raw.reps / raw.engagements: path, SHA-256, rows, columns as written.';
