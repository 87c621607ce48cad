CREATE OR REPLACE TABLE core.deals AS
SELECT c.deal_id, c.account_id, c.account_name, c.segment, c.rep_id, c.amount, c.currency,
       c.created_at, c.closed_at, c.outcome, c.map_id{{ attribute_select }}, c._file, c._line
FROM staging.deals_checked c JOIN raw.deals r ON r.rowid = c._rowid
WHERE c.rule IS NULL;
COMMENT ON TABLE core.deals IS 'One row per opportunity, validated. outcome is won / lost / open; map_id is the value map of its segment (NULL when none applies). Extra CRM columns follow as typed attribute columns, listed in core.deal_attributes.';
