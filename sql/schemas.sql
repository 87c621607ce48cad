-- The warehouse's layers. raw: files as read; core: typed, validated; analytics: answers;
-- audit: what each run read, loaded and rejected; models: the fitted win models the analytics read;
-- staging: a run's scratch space, dropped on publish.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS models;
CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE IF NOT EXISTS raw.loads (
    seq INTEGER NOT NULL,
    table_name VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    sha256 VARCHAR,
    rows_read BIGINT NOT NULL,
    columns VARCHAR[] NOT NULL,
    line_offset INTEGER NOT NULL,
    run_id VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    bytes BIGINT
);
ALTER TABLE raw.loads ADD COLUMN IF NOT EXISTS bytes BIGINT;  -- warehouses built before it was recorded
ALTER TABLE raw.loads ADD COLUMN IF NOT EXISTS mtime_ns BIGINT;  -- the file's modification time, for the quick check
COMMENT ON TABLE raw.loads IS 'Every CRM file ever appended to the raw layer, once per content (SHA-256): its rows are in raw.<table>_load_<seq>. raw.<table> shows the current rows (latest load wins per id); raw.<table>_all every version.';

CREATE TABLE IF NOT EXISTS raw.malformed_rows (
    load_seq INTEGER NOT NULL,
    table_name VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    detail VARCHAR NOT NULL,
    text VARCHAR
);
COMMENT ON TABLE raw.malformed_rows IS 'CSV rows that could not be split into the header''s columns (too few or too many fields, an unclosed quote): the load, the physical line, why and the text as found. They are quarantined as malformed_row; the rest of the file loads.';

CREATE TABLE IF NOT EXISTS audit.loads (
    run_id VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    sha256 VARCHAR,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    table_name VARCHAR,
    reconciled BOOLEAN,
    load_seq INTEGER,
    rows_superseded BIGINT,
    status VARCHAR
);
COMMENT ON TABLE audit.loads IS 'One row per input file per run: rows read = rows loaded + rows quarantined (+ rows_superseded, rows replaced by a later export of the same ids). status says whether this run read the file or found it unchanged. History of every run is kept.';

CREATE TABLE IF NOT EXISTS audit.quarantine (
    run_id VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line BIGINT,
    rule VARCHAR NOT NULL,
    raw VARCHAR,
    table_name VARCHAR,
    record_id VARCHAR,
    detail VARCHAR,
    load_seq INTEGER
);
COMMENT ON TABLE audit.quarantine IS 'Rows of the current inputs rejected by a rule: file, line (header = line 1), the rule broken, how to fix it (detail), the row as read (raw, JSON) and the run that read it.';

CREATE TABLE IF NOT EXISTS audit.recomputed (
    run_id VARCHAR NOT NULL,
    relation VARCHAR NOT NULL,
    full_rebuild BOOLEAN NOT NULL,
    reason VARCHAR NOT NULL,
    ids BIGINT NOT NULL
);
COMMENT ON TABLE audit.recomputed IS 'What each run recomputed, per relation: everything (full_rebuild, reason says why: first run, a value map changed, --full) or only the ids its new files change (ids = how many; 0 when nothing changed).';

CREATE TABLE IF NOT EXISTS audit.runs (
    run_id VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    input_dir VARCHAR,
    source VARCHAR
);
COMMENT ON TABLE audit.runs IS 'One row per run that built this warehouse.';
