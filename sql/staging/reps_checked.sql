-- The current rows of raw.reps that break a rule: the first rule each breaks, and how to fix it.
CREATE OR REPLACE TEMP TABLE reps_checked AS
WITH verdicts AS (
    SELECT t._load_seq, t._file, t._line, t.rep_id,
        CASE
            WHEN t.rep_id IS NULL THEN 'missing_required'
            WHEN d.variants > 1 THEN 'conflicting_duplicate'
            WHEN d.rep_id IS NOT NULL AND t._line <> d.first_line THEN 'duplicate'
            WHEN t.hired_at_text IS NOT NULL AND t.hired_at IS NULL THEN 'bad_date'
            WHEN staging.implausible(t.hired_at) THEN 'implausible_date'
        END AS rule,
        CASE rule
            WHEN 'missing_required' THEN 'rep_id is empty; fill it in'
            WHEN 'conflicting_duplicate' THEN 'rep_id ' || t.rep_id || ' appears on several different rows; keep one'
            WHEN 'duplicate' THEN 'exact copy of line ' || d.first_line || ', which loaded; remove the copy'
            WHEN 'bad_date' THEN 'hired_at ''' || t.hired_at_text || ''' is not an ISO date (YYYY-MM-DD)'
            WHEN 'implausible_date' THEN staging.implausible_detail('hired_at', t.hired_at_text)
        END AS detail
    FROM reps_typed t LEFT JOIN reps_duplicates d USING (rep_id)
)
SELECT * FROM verdicts WHERE rule IS NOT NULL;
