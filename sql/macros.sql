-- Helpers shared by the checking SQL; they live in the run's staging schema.
CREATE OR REPLACE MACRO staging.clean(t) AS nullif(trim(t), '');
CREATE OR REPLACE MACRO staging.id_list(t) AS
    coalesce(list_distinct(list_filter(list_transform(string_split(coalesce(t, ''), ';'), lambda x: trim(x)),
                                       lambda x: x <> '')), []::VARCHAR[]);
CREATE OR REPLACE MACRO staging.outcome(t) AS
    CASE regexp_replace(lower(t), '[^a-z]', '', 'g')
        WHEN 'won' THEN 'won' WHEN 'closedwon' THEN 'won'
        WHEN 'lost' THEN 'lost' WHEN 'closedlost' THEN 'lost'
        WHEN 'open' THEN 'open'
    END;
