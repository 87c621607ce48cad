-- The current rows of raw.reps that break a rule: the first rule each breaks, and how to fix it.
CREATE OR REPLACE TEMP TABLE reps_checked AS
WITH dup_ids AS (
    SELECT rep_id FROM reps_typed WHERE rep_id IS NOT NULL GROUP BY rep_id HAVING count(*) > 1
),
dups AS (
    SELECT staging.clean(r.rep_id) AS rep_id, count(DISTINCT hash({{ row_struct }})) AS variants, min(r._line) AS first_line
    FROM raw.reps r SEMI JOIN dup_ids d ON staging.clean(r.rep_id) = d.rep_id
    GROUP BY ALL
),
verdicts AS (
    SELECT t._load_seq, t._file, t._line, t.rep_id,
        CASE
            WHEN t.rep_id IS NULL THEN 'missing_required'
            WHEN d.variants > 1 THEN 'conflicting_duplicate'
            WHEN d.rep_id IS NOT NULL AND t._line <> d.first_line THEN 'duplicate'
            WHEN t.hired_at_text IS NOT NULL AND t.hired_at IS NULL THEN 'bad_date'
        END AS rule,
        CASE rule
            WHEN 'missing_required' THEN 'rep_id is empty; fill it in'
            WHEN 'conflicting_duplicate' THEN 'rep_id ' || t.rep_id || ' appears on several different rows; keep one'
            WHEN 'duplicate' THEN 'exact copy of line ' || d.first_line || ', which loaded; remove the copy'
            WHEN 'bad_date' THEN 'hired_at ''' || t.hired_at_text || ''' is not an ISO date (YYYY-MM-DD)'
        END AS detail
    FROM reps_typed t LEFT JOIN dups d USING (rep_id)
)
SELECT * FROM verdicts WHERE rule IS NOT NULL;
