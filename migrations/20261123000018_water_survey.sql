-- SWDE's survey of a water connection (B-5.1), JSON: distance to the main, route inside the
-- parcel, extension (B-4.2, B-11), pressure installation and the holders of upstream extension
-- sections who receive a quote-part (B-10). NULL until SWDE records it.
ALTER TABLE requests ADD COLUMN water_survey TEXT;
