-- Helpers shared by the checking SQL; they live in the run's staging schema.
CREATE OR REPLACE MACRO staging.clean(t) AS nullif(trim(t), '');
-- A date outside 1900-01-01 .. 2100-12-31 is a placeholder (9999-12-31, 0001-01-01), not a real date.
CREATE OR REPLACE MACRO staging.implausible(d) AS d < DATE '1900-01-01' OR d >= DATE '2101-01-01';
CREATE OR REPLACE MACRO staging.implausible_detail(column_name, t) AS
    column_name || ' ''' || t || ''' is outside 1900-01-01 to 2100-12-31, so it is a placeholder, not a real date; '
    || 'give the real date or leave it empty';
-- Ids never contain spaces, so a `;`-separated list parses by dropping spaces and empty entries.
-- An empty value stays NULL through the list functions and becomes [] last (a CASE costs twice as much).
CREATE OR REPLACE MACRO staging.id_list(t) AS
    coalesce(list_filter(list_distinct(string_split(replace(t, ' ', ''), ';')), lambda x: x <> ''), []::VARCHAR[]);
-- A `;`-joined string of ids as a sorted list without repeats.
CREATE OR REPLACE MACRO staging.id_set(t) AS
    coalesce(list_sort(list_distinct(string_split(t, ';'))), []::VARCHAR[]);
CREATE OR REPLACE MACRO staging.outcome(t) AS
    CASE regexp_replace(lower(t), '[^a-z]', '', 'g')
        WHEN 'won' THEN 'won' WHEN 'closedwon' THEN 'won'
        WHEN 'lost' THEN 'lost' WHEN 'closedlost' THEN 'lost'
        WHEN 'open' THEN 'open'
    END;
