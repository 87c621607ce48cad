-- The ids that several current rows ({{ rows }}) carry: how many different rows share each id
-- (1 = exact copies) and the first line, which is the copy that loads.
CREATE OR REPLACE TEMP TABLE {{ table }}_duplicates AS
WITH dup_ids AS (
    SELECT {{ id_column }} FROM {{ table }}_typed WHERE {{ id_column }} IS NOT NULL GROUP BY 1 HAVING count(*) > 1
)
SELECT staging.clean(r.{{ id_column }}) AS {{ id_column }}, count(DISTINCT hash({{ row_struct }})) AS variants,
       min(r._line) AS first_line
FROM {{ rows }} r SEMI JOIN dup_ids d ON staging.clean(r.{{ id_column }}) = d.{{ id_column }}
GROUP BY ALL;
