-- What the applicant tells of the servicing beyond frontage and lots: supply points planned
-- (V-4.1a, V-9.2), room provided for the cabins (`standard` plot or `indoor_local`), and the
-- social promoter of a social project (`swl`, `public_housing_company`; V-2.4).
ALTER TABLE requests ADD COLUMN servicing_supply_points BIGINT;
ALTER TABLE requests ADD COLUMN servicing_cabin TEXT;
ALTER TABLE requests ADD COLUMN servicing_social TEXT;
-- `vat_filer` when the applicant files periodic VAT returns (reverse charge); NULL otherwise.
ALTER TABLE requests ADD COLUMN applicant_vat TEXT;
