-- The servicing of the land an applicant asks for with a request (rules V-2.1, V-4.1b, V-4.3):
-- all NULL when none is asked.
ALTER TABLE requests ADD COLUMN servicing_operation TEXT;        -- division | grouped_housing | holiday_park
ALTER TABLE requests ADD COLUMN servicing_frontage_m TEXT;       -- decimal metres
ALTER TABLE requests ADD COLUMN servicing_parcels BIGINT;
ALTER TABLE requests ADD COLUMN servicing_candelabras BIGINT;
