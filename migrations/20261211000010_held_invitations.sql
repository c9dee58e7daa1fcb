-- An invitation to an address that already has an account in another organisation opens
-- nothing (one account per address); the inviting organisation lists it as invited like any
-- other, so that inviting does not tell whether an address is known on the platform. The
-- address's owner is told by email.
CREATE TABLE held_invitations (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (organisation_id, email)
);
