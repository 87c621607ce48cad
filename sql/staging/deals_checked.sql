-- The current rows of raw.deals that break a rule: the first rule each breaks, and how to fix it.
CREATE OR REPLACE TEMP TABLE deals_checked AS
WITH verdicts AS (
    SELECT t._load_seq, t._file, t._line, t.deal_id,
        CASE
            WHEN t.deal_id IS NULL OR t.account_id IS NULL OR t.segment IS NULL OR t.rep_id IS NULL
                 OR t.created_at_text IS NULL OR t.outcome_text IS NULL THEN 'missing_required'
            WHEN d.variants > 1 THEN 'conflicting_duplicate'
            WHEN d.first_line IS NOT NULL AND t._line <> d.first_line THEN 'duplicate'
            WHEN t.created_at IS NULL OR (t.closed_at_text IS NOT NULL AND t.closed_at IS NULL) THEN 'bad_date'
            WHEN staging.implausible(t.created_at) OR staging.implausible(t.closed_at) THEN 'implausible_date'
            WHEN t.amount_text IS NOT NULL AND (t.amount IS NULL OR t.amount < 0) THEN 'bad_amount'
            WHEN NOT regexp_full_match(t.currency, '[A-Z]{3}') THEN 'bad_currency'
            WHEN t.outcome IS NULL THEN 'bad_outcome'
            WHEN t.closed_at < t.created_at THEN 'closed_before_created'
            WHEN t.outcome = 'open' AND t.closed_at IS NOT NULL THEN 'open_with_closed_at'
            WHEN rp.rep_id IS NULL THEN 'unknown_rep'
        END AS rule,
        CASE rule
            WHEN 'missing_required' THEN 'a required value is empty (deal_id, account_id, segment, rep_id, created_at, outcome); fill it in'
            WHEN 'conflicting_duplicate' THEN 'deal_id ' || t.deal_id || ' appears on several different rows; keep one'
            WHEN 'duplicate' THEN 'exact copy of line ' || d.first_line || ', which loaded; remove the copy'
            WHEN 'bad_date' THEN 'created_at ''' || coalesce(t.created_at_text, '') || ''' / closed_at '''
                                  || coalesce(t.closed_at_text, '') || ''' must be ISO dates (YYYY-MM-DD)'
            WHEN 'implausible_date' THEN CASE WHEN staging.implausible(t.created_at)
                                              THEN staging.implausible_detail('created_at', t.created_at_text)
                                              ELSE staging.implausible_detail('closed_at', t.closed_at_text) END
            WHEN 'bad_amount' THEN 'amount ''' || t.amount_text || ''' is not a number >= 0 (no thousands separators)'
            WHEN 'bad_currency' THEN 'currency ''' || t.currency || ''' is not a 3-letter ISO 4217 code'
            WHEN 'bad_outcome' THEN 'outcome ''' || t.outcome_text || ''' is not won, lost or open (Closed Won / Closed Lost also accepted)'
            WHEN 'closed_before_created' THEN 'closed_at ' || t.closed_at || ' is before created_at ' || t.created_at
            WHEN 'open_with_closed_at' THEN 'an open deal has no close date; clear closed_at or set the outcome'
            WHEN 'unknown_rep' THEN 'rep_id ' || t.rep_id || ' is not in reps; add the rep or correct the id'
        END AS detail
    FROM deals_typed t
    LEFT JOIN deals_duplicates d USING (deal_id)
    LEFT JOIN core.reps rp ON rp.rep_id = t.rep_id
)
SELECT * FROM verdicts WHERE rule IS NOT NULL;
