-- The current rows of raw.reps (in a delta run, those of the ids it recomputes), cleaned and typed (a view of this connection: the checks and core.reps read it).
CREATE OR REPLACE TEMP VIEW reps_typed AS
SELECT _load_seq, _file, _line,
       staging.clean(rep_id) AS rep_id, staging.clean(name) AS name, staging.clean(team) AS team,
       staging.clean(manager) AS manager, staging.clean(region) AS region,
       staging.clean(hired_at) AS hired_at_text, TRY_CAST(staging.clean(hired_at) AS DATE) AS hired_at
FROM {{ rows }};
