-- Helpers shared by the checking SQL; they live in the run's staging schema.
CREATE OR REPLACE MACRO staging.clean(t) AS nullif(trim(t), '');
CREATE OR REPLACE MACRO staging.id_list(t) AS
    CASE WHEN t IS NULL OR trim(t) = '' THEN []::VARCHAR[]
         WHEN NOT contains(t, ';') THEN [trim(t)]
         ELSE list_distinct(list_filter(string_split(regexp_replace(trim(t), '\s*;\s*', ';', 'g'), ';'),
                                        lambda x: trim(x) <> ''))
    END;
CREATE OR REPLACE MACRO staging.outcome(t) AS
    CASE regexp_replace(lower(t), '[^a-z]', '', 'g')
        WHEN 'won' THEN 'won' WHEN 'closedwon' THEN 'won'
        WHEN 'lost' THEN 'lost' WHEN 'closedlost' THEN 'lost'
        WHEN 'open' THEN 'open'
    END;
