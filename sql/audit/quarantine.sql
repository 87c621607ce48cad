-- Replace this table's rejected rows with the verdicts on its current rows.
DELETE FROM audit.quarantine WHERE table_name = '{{ table }}';
INSERT INTO audit.quarantine BY NAME SELECT * FROM staging.{{ table }}_rejected;
