-- What the applicant tells of the servicing's VAT and public lighting:
-- 1 when the conditions of Decision T.5387 of 13 December 1971 are met (the network is then
-- outside the scope of VAT, V-6, art. 6.3); NULL or 0 otherwise (requests filed before).
ALTER TABLE requests ADD COLUMN servicing_t5387 BIGINT;
-- Light points added on existing poles or the existing EP cable (V-4.3, art. 4.3.1): quoted
-- separately, never in the flat rate per candelabra; NULL for requests filed before (none).
ALTER TABLE requests ADD COLUMN servicing_existing_pole_lights BIGINT;
