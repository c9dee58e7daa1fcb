-- A statement uploaded by an organisation's system names the API key that uploaded it (its
-- name at the time), not the person who created the key (issue 21: writes name their key).
ALTER TABLE bank_statements ADD COLUMN uploaded_by_key TEXT;
