-- The dashboards' deals as the page filters know them: segments and teams beyond the filters' caps are
-- pooled as {{ other_segments }} and {{ other_teams }}. {{ segments }}, {{ teams }}: the capped lists, as
-- SQL list literals. A temporary view of the dashboards' connection.
CREATE OR REPLACE TEMP VIEW filtered_deals AS
SELECT * REPLACE (
    CASE WHEN list_contains({{ segments }}, segment) THEN segment ELSE {{ other_segments }} END AS segment,
    CASE WHEN list_contains({{ teams }}, team) THEN team ELSE {{ other_teams }} END AS team)
FROM dash_deals
