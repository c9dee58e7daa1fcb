-- Who pays whom for each offer version, and each payment recorded against it.
-- A version has one due per operator document (the servicing of land is its own document,
-- V-8), one per quote-part the applicant pays an earlier holder (B-10), and one per amount
-- the operator pays the applicant (the cabin lease fee at the deed, V-9.2). A due is paid
-- when its payments reach its amount (V-8.2.1 full payment; B-5.4 instalments).
CREATE TABLE offer_dues (
    id TEXT PRIMARY KEY,
    offer_id TEXT NOT NULL REFERENCES offers (id),
    position BIGINT NOT NULL,
    -- applicant_to_operator | applicant_to_holder | operator_to_applicant
    direction TEXT NOT NULL,
    -- the operator paid, or paying
    organisation_id TEXT REFERENCES organisations (id),
    -- who receives (the operator or the holder); for operator_to_applicant, the operator paying
    party_name TEXT NOT NULL,
    document TEXT NOT NULL,          -- offer | invoice
    scope TEXT NOT NULL,             -- connections | servicing
    iban TEXT,
    bic TEXT,
    amount TEXT NOT NULL,            -- decimal, VAT included
    structured_communication TEXT,
    -- before_works | after_works (a commune's servicing, V-8.2.1) | at_deed (V-9.2)
    due TEXT NOT NULL,
    rule TEXT NOT NULL,
    detail TEXT,                     -- a share's formula with its figures (B-10)
    UNIQUE (offer_id, position)
);

CREATE TABLE due_payments (
    id TEXT PRIMARY KEY,
    due_id TEXT NOT NULL REFERENCES offer_dues (id),
    amount TEXT NOT NULL,
    paid_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT REFERENCES users (id),
    -- the recording form's key: the same form posted twice records one payment
    idempotency_key TEXT NOT NULL UNIQUE
);
CREATE INDEX due_payments_due ON due_payments (due_id);

INSERT INTO offer_dues (id, offer_id, position, direction, organisation_id, party_name, document,
    scope, iban, bic, amount, structured_communication, due, rule)
SELECT offer_id || '-' || organisation_id, offer_id,
    ROW_NUMBER() OVER (PARTITION BY offer_id ORDER BY structured_communication),
    'applicant_to_operator', organisation_id, payee_name, 'offer', 'connections', iban, bic,
    amount, structured_communication,
    CASE WHEN after_works = 1 THEN 'after_works' ELSE 'before_works' END, 'C-3'
FROM offer_payees;

INSERT INTO due_payments (id, due_id, amount, paid_on, recorded_at, recorded_by, idempotency_key)
SELECT offer_id || '-' || organisation_id || '-1', offer_id || '-' || organisation_id,
    COALESCE(paid_amount, amount), paid_at, paid_at, paid_recorded_by,
    offer_id || '-' || organisation_id || '-1'
FROM offer_payees WHERE paid_at IS NOT NULL;

DROP TABLE offer_payees;
