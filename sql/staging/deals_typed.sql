-- The current rows of raw.deals (in a delta run, those of the ids it recomputes: temp.deals_scope), cleaned and typed, with the value map of their segment
-- (a view of this connection: the checks and core.deals read it).
CREATE OR REPLACE TEMP VIEW deals_typed AS
WITH segment_maps AS (
    SELECT lower(trim(segment)) AS segment_key, segment, map_id FROM core.value_maps
)
SELECT r._load_seq, r._file, r._line,
       staging.clean(r.deal_id) AS deal_id, staging.clean(r.account_id) AS account_id,
       staging.clean(r.account_name) AS account_name,
       coalesce(m.segment, staging.clean(r.segment)) AS segment,
       staging.clean(r.rep_id) AS rep_id,
       staging.clean(r.amount) AS amount_text, TRY_CAST(staging.clean(r.amount) AS DECIMAL(18, 2)) AS amount,
       upper(coalesce(staging.clean(r.currency), 'USD')) AS currency,
       staging.clean(r.created_at) AS created_at_text, TRY_CAST(staging.clean(r.created_at) AS DATE) AS created_at,
       staging.clean(r.closed_at) AS closed_at_text, TRY_CAST(staging.clean(r.closed_at) AS DATE) AS closed_at,
       staging.clean(r.outcome) AS outcome_text, staging.outcome(staging.clean(r.outcome)) AS outcome,
       coalesce(m.map_id, star.map_id) AS map_id{{ attribute_columns }}
FROM {{ rows }} r
LEFT JOIN segment_maps m ON m.segment_key = lower(staging.clean(r.segment))
LEFT JOIN segment_maps star ON star.segment_key = '*';
