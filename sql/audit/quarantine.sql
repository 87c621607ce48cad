-- Replace this table's rejected rows (in a delta run, those of the ids it recomputed) with the new verdicts.
DELETE FROM audit.quarantine WHERE table_name = '{{ table }}' AND {{ scope }};
INSERT INTO audit.quarantine BY NAME SELECT * FROM staging.{{ table }}_rejected;
