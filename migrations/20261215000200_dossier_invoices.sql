-- V-3.1 (regulation art. 3.1): the servicing dossier-opening fee is invoiced when the request is
-- filed, "préalablement à l'intervention d'ORES", and stays ORES' whatever happens to the offer.
-- One invoice per request at most; a later request of the same applicant for the same land
-- gets none (V-3.1), a social project none (V-3.2), a V-7 invoice case keeps the fee on its
-- invoice (art. 7).
CREATE TABLE dossier_invoices (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE REFERENCES requests (id),
    number TEXT NOT NULL UNIQUE,
    -- the payee: ORES' legal entity, as on its servicing dues
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    payee_name TEXT NOT NULL,
    iban TEXT,
    bic TEXT,
    structured_communication TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    amount_excl_vat TEXT NOT NULL,   -- decimal, from the engine's V-DOSSIER line
    vat_rate TEXT NOT NULL,
    vat_amount TEXT NOT NULL,
    amount TEXT NOT NULL,            -- decimal, VAT included
    book_version TEXT NOT NULL,
    -- the payment, recorded in full by the case officer
    paid_amount TEXT,
    paid_on TEXT,
    paid_recorded_at TEXT,
    paid_recorded_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL
);
