CREATE OR REPLACE TABLE core.deal_attributes AS SELECT * FROM deal_attributes_frame;
COMMENT ON TABLE core.deal_attributes IS 'The extra columns of deals.csv kept as deal attributes (columns of core.deals): name, DOUBLE or VARCHAR type, how many deals have a value. Models use them as controls; dashboards as filters.';
