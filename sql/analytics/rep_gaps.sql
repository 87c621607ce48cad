CREATE OR REPLACE TABLE analytics.rep_gaps AS SELECT * FROM rep_gaps_frame;
COMMENT ON TABLE analytics.rep_gaps IS 'Per rep and behaviour (key player engaged, value proposition presented, issue uncovered, question asked): the rep''s rate, the top-quartile rate, and the win-rate points the gap to top performers costs this rep (contribution; positive = costs).';
