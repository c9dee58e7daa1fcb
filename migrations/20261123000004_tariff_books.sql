-- Tariff books uploaded by operator administrators (the embedded books ship with the binary).
-- The TOML text is the record; operator, version and validity are copied out for listing.
-- Versions are unique across operators: every quote line names the book it was priced with.
CREATE TABLE tariff_books (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    operator TEXT NOT NULL,        -- ores | swde | proximus | voo
    version TEXT NOT NULL UNIQUE,
    valid_from TEXT NOT NULL,      -- YYYY-MM-DD, first day in force
    valid_until TEXT NOT NULL,     -- YYYY-MM-DD, last day in force (inclusive)
    body TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TEXT NOT NULL
);
CREATE INDEX tariff_books_organisation ON tariff_books (organisation_id, valid_from);
