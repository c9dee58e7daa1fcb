-- A hash of the form fields a request was filed with: a resubmission under the same
-- idempotency key is the same click again only when its fields are the same.
ALTER TABLE requests ADD COLUMN input_fingerprint TEXT;
