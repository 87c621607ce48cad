-- What a run's export conversion (--source salesforce | hubspot | mapping.yaml) read and left out.
CREATE TABLE IF NOT EXISTS audit.source_files (
    run_id VARCHAR, source VARCHAR, file VARCHAR, sha256 VARCHAR, rows_read BIGINT, rows_converted BIGINT,
    rows_ignored BIGINT, ignored_reason VARCHAR
);
COMMENT ON TABLE audit.source_files IS 'One row per CRM export file per run: rows read = rows converted + rows ignored (ignored_reason says why, e.g. IsDeleted=true).';
CREATE TABLE IF NOT EXISTS audit.source_notes (run_id VARCHAR, source VARCHAR, note VARCHAR);
COMMENT ON TABLE audit.source_notes IS 'What the export conversion wants you to know, e.g. what cannot be computed without engagements.';
INSERT INTO audit.source_files
SELECT getvariable('run_id'), '{{ source }}', file, sha256, rows_read, rows_converted, rows_ignored, ignored_reason
FROM source_files_frame;
INSERT INTO audit.source_notes SELECT getvariable('run_id'), '{{ source }}', note FROM source_notes_frame;
