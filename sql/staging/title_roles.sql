-- Contact title -> role, per map: a role matches when one of its title_patterns is a
-- case-insensitive substring of the title. When several roles match, the longest matching
-- pattern wins (it is the most specific); on equal length, the role listed first in the map wins.
CREATE OR REPLACE TEMP TABLE title_roles AS
WITH titles AS (
    SELECT DISTINCT map_id, lower(contact_title) AS title_key
    FROM engagements_typed
    WHERE role_id_given IS NULL AND contact_title IS NOT NULL AND map_id IS NOT NULL
),
patterns AS (
    SELECT map_id, role_id, position, unnest(title_patterns) AS pattern FROM core.value_map_roles
)
SELECT t.map_id, t.title_key,
       arg_max(p.role_id, length(p.pattern) * 100000 - p.position) AS role_id,
       arg_max(p.pattern, length(p.pattern) * 100000 - p.position) AS matched_pattern
FROM titles t JOIN patterns p ON p.map_id = t.map_id AND contains(t.title_key, p.pattern)
GROUP BY ALL;
