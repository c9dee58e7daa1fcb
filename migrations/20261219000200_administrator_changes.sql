-- Issue 21: an organisation's administrators make a colleague administrator or remove them on
-- its users page. Each change is kept, with who made it and when, as an API key keeps who
-- created and revoked it; the page lists them.
CREATE TABLE administrator_changes (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    administrator BIGINT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users (id),
    at TEXT NOT NULL
);
CREATE INDEX administrator_changes_organisation ON administrator_changes (organisation_id, at);
