-- Every row of raw.reps, typed, with the first rule it breaks (rule NULL = the row loads).
CREATE OR REPLACE TEMP TABLE reps_checked AS
WITH src AS (
    SELECT _load_seq, _file, _line,
           staging.clean(rep_id) AS rep_id, staging.clean(name) AS name, staging.clean(team) AS team,
           staging.clean(manager) AS manager, staging.clean(region) AS region,
           staging.clean(hired_at) AS hired_at_text
    FROM raw.reps
),
dup_ids AS (
    SELECT rep_id FROM src WHERE rep_id IS NOT NULL GROUP BY rep_id HAVING count(*) > 1
),
dups AS (
    SELECT staging.clean(r.rep_id) AS rep_id, count(DISTINCT hash({{ row_struct }})) AS variants, min(r._line) AS first_line
    FROM raw.reps r SEMI JOIN dup_ids d ON staging.clean(r.rep_id) = d.rep_id
    GROUP BY ALL
)
SELECT s.* EXCLUDE (hired_at_text), TRY_CAST(s.hired_at_text AS DATE) AS hired_at,
    CASE
        WHEN s.rep_id IS NULL THEN 'missing_required'
        WHEN d.variants > 1 THEN 'conflicting_duplicate'
        WHEN d.rep_id IS NOT NULL AND s._line <> d.first_line THEN 'duplicate'
        WHEN s.hired_at_text IS NOT NULL AND TRY_CAST(s.hired_at_text AS DATE) IS NULL THEN 'bad_date'
    END AS rule,
    CASE rule
        WHEN 'missing_required' THEN 'rep_id is empty; fill it in'
        WHEN 'conflicting_duplicate' THEN 'rep_id ' || s.rep_id || ' appears on several different rows; keep one'
        WHEN 'duplicate' THEN 'exact copy of line ' || d.first_line || ', which loaded; remove the copy'
        WHEN 'bad_date' THEN 'hired_at ''' || s.hired_at_text || ''' is not an ISO date (YYYY-MM-DD)'
    END AS detail
FROM src s LEFT JOIN dups d USING (rep_id);
