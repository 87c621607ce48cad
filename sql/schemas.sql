-- The warehouse's layers. raw: files as read; core: typed, validated; analytics: answers;
-- audit: what each run read, loaded and rejected; staging: a run's scratch space, dropped on publish.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE IF NOT EXISTS audit.loads (
    run_id VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    sha256 VARCHAR,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    table_name VARCHAR,
    reconciled BOOLEAN
);
COMMENT ON TABLE audit.loads IS 'One row per input file per run: rows read = rows loaded + rows quarantined. History of every run is kept.';

CREATE TABLE IF NOT EXISTS audit.quarantine (
    run_id VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line BIGINT,
    rule VARCHAR NOT NULL,
    raw VARCHAR,
    table_name VARCHAR,
    record_id VARCHAR,
    detail VARCHAR
);
COMMENT ON TABLE audit.quarantine IS 'Rows rejected by a rule, with file, line (header = line 1), the rule broken, how to fix it (detail) and the row as read (raw, JSON). History of every run is kept.';

CREATE TABLE IF NOT EXISTS audit.runs (
    run_id VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    input_dir VARCHAR,
    source VARCHAR
);
COMMENT ON TABLE audit.runs IS 'One row per run that built this warehouse.';
