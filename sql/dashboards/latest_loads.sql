-- audit.loads rows of the latest run (the one with the latest loaded_at).
SELECT file, rows_read, rows_loaded, rows_quarantined, loaded_at, run_id
FROM audit.loads WHERE run_id = (SELECT arg_max(run_id, loaded_at) FROM audit.loads)
ORDER BY file
