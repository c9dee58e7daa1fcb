-- More private links to a request's status page (the first one is requests.follow_token_hash).
-- Each email that needs a link (missing documents, the offer) gets its own; only the SHA-256
-- of the token is kept, so the database alone never opens a status page.
CREATE TABLE follow_links (
    token_hash TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    purpose TEXT NOT NULL,         -- missing_documents | offer | ...
    created_at TEXT NOT NULL
);
CREATE INDEX follow_links_request ON follow_links (request_id);

-- Documents uploaded for a request (plans, title deed, permit copy, certificates). The bytes
-- live in the storage (disk or object storage) under storage_key; never served without an
-- authorisation check.
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind TEXT NOT NULL,            -- situation_plan | parcel_plan_lambert72 | road_plan | permit_copy | ...
    filename TEXT NOT NULL,        -- as uploaded, cleaned of any path
    content_type TEXT NOT NULL,    -- checked by content: application/pdf | image/png | image/jpeg | image/vnd.dwg
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    uploaded_by TEXT NOT NULL,     -- applicant | staff
    uploader_id TEXT,              -- the staff member, when staff uploaded it
    created_at TEXT NOT NULL
);
CREATE INDEX documents_request ON documents (request_id, created_at);
