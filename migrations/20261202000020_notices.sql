-- Notices sent once for the whole platform, whichever instance sends them: a tariff book that
-- runs out with no successor (kind 'tariff_book_ending', subject = the book's version), a year
-- without construction holidays (kind 'construction_holidays_missing', subject = the year).
-- The row is inserted with ON CONFLICT DO NOTHING in the same transaction as the outbox rows of
-- its emails: the instance whose insert counts sends them, the others send nothing.
CREATE TABLE notices (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (kind, subject)
);
