CREATE OR REPLACE TEMP VIEW deals_loaded AS
SELECT deal_id, account_id, account_name, segment, rep_id, amount, currency,
       created_at, closed_at, outcome, map_id{{ attribute_select }}, _file, _line, _load_seq
FROM temp.deals_typed t ANTI JOIN temp.deals_checked c USING (_load_seq, _file, _line);
{{ write }};
COMMENT ON TABLE core.deals IS 'One row per opportunity, validated; the latest version when several exports carried it. outcome is won / lost / open; map_id is the value map of its segment (NULL when none applies). Extra CRM columns follow as typed attribute columns, listed in core.deal_attributes. _file/_line point at the source row.';
