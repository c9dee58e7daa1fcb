-- Issue 21: payments read from bank statements (CODA). The coordinator or an operator uploads
-- the statements of its own accounts; each credit is matched to a due by its structured
-- communication and registered as a payment whose source is the statement line, or listed for
-- the case officer to assign by hand. A statement is named by its account, number and opening
-- day: uploading it again registers nothing twice.
CREATE TABLE bank_statements (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    account TEXT NOT NULL,
    holder TEXT NOT NULL,
    number BIGINT NOT NULL,
    opened_on TEXT NOT NULL,
    filename TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TEXT NOT NULL,
    UNIQUE (account, number, opened_on)
);
CREATE INDEX bank_statements_organisation ON bank_statements (organisation_id, uploaded_at);

CREATE TABLE bank_statement_lines (
    id TEXT PRIMARY KEY,
    statement_id TEXT NOT NULL REFERENCES bank_statements (id),
    -- the movement's sequence and detail numbers, unique in its statement
    sequence TEXT NOT NULL,
    bank_reference TEXT NOT NULL,
    amount TEXT NOT NULL,
    value_date TEXT NOT NULL,
    communication TEXT NOT NULL,
    structured_communication TEXT,
    counterparty_name TEXT NOT NULL,
    counterparty_account TEXT NOT NULL,
    -- paid | partial | over | to_assign | assigned
    outcome TEXT NOT NULL,
    -- why a line is to assign: no_communication | unknown_communication | other_account |
    -- not_accepted | already_paid | before_offer | future
    reason TEXT,
    request_id TEXT REFERENCES requests (id),
    due_id TEXT REFERENCES offer_dues (id),
    assigned_by TEXT REFERENCES users (id),
    assigned_at TEXT,
    UNIQUE (statement_id, sequence)
);
CREATE INDEX bank_statement_lines_outcome ON bank_statement_lines (outcome, statement_id);

ALTER TABLE due_payments ADD COLUMN statement_line_id TEXT REFERENCES bank_statement_lines (id);
