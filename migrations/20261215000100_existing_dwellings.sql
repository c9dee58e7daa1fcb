-- Existing homes ("qu'elle soit nouvelle ou existante") and what is asked for them.
-- NULL year: a new build. The year of first occupation decides the 6% rate on connection
-- works (dwellings of 10 years or more).
ALTER TABLE requests ADD COLUMN dwelling_first_occupied_year BIGINT;
-- A power increase of the existing electricity connection: its band today (`1x40`).
ALTER TABLE requests ADD COLUMN electricity_current_band TEXT;
-- new | modification (B-8) | renewal (B-9); NULL: new.
ALTER TABLE requests ADD COLUMN water_work TEXT;
-- B-9: no water billed for 24 months on the connection to renew (1), else 0.
ALTER TABLE requests ADD COLUMN water_unbilled BIGINT NOT NULL DEFAULT 0;
-- applicant_vat now also takes `exempt` (B-4.1), for natural and legal persons alike.
