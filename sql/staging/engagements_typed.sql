-- The current rows of raw.engagements (in a delta run, those of the ids it recomputes), cleaned and typed, with their deal's value map
-- (a view of this connection: the checks and core.engagements read it).
CREATE OR REPLACE TEMP VIEW engagements_typed AS
SELECT r._load_seq, r._file, r._line,
       staging.clean(r.engagement_id) AS engagement_id, staging.clean(r.deal_id) AS deal_id,
       staging.clean(r.occurred_at) AS occurred_at_text, TRY_CAST(staging.clean(r.occurred_at) AS TIMESTAMP) AS occurred_at,
       staging.clean(r.contact_id) AS contact_id, staging.clean(r.contact_title) AS contact_title,
       staging.clean(r.role_id) AS role_id_given, lower(staging.clean(r.channel)) AS channel,
       r.value_propositions AS value_propositions_text, r.issues AS issues_text, r.questions AS questions_text,
       staging.id_list(r.value_propositions) AS value_propositions, staging.id_list(r.issues) AS issues,
       staging.id_list(r.questions) AS questions, r.notes,
       d.deal_id IS NOT NULL AS deal_known, d.map_id
FROM {{ rows }} r
LEFT JOIN core.deals d ON d.deal_id = staging.clean(r.deal_id);
