-- V-2.3 (regulation art. 2.2): the holder of the obligation to pay the servicing, when it is
-- not the applicant who receives the offer (whoever divided the land, a developer). NULL when
-- the applicant pays, and for requests filed before the question was asked.
ALTER TABLE requests ADD COLUMN servicing_payer_name TEXT;
-- The payer's postal address, one line, as the invoice is addressed.
ALTER TABLE requests ADD COLUMN servicing_payer_address TEXT;
-- `vat_filer` (periodic VAT returns: the servicing network and lighting reverse charged, V-6),
-- or NULL for a payer filing no periodic returns.
ALTER TABLE requests ADD COLUMN servicing_payer_vat TEXT;
-- The payer's enterprise (VAT) number, required of a VAT filer.
ALTER TABLE requests ADD COLUMN servicing_payer_company_number TEXT;
-- Who owes a due when it is not the applicant (V-2.3: the servicing's payer); NULL otherwise.
ALTER TABLE offer_dues ADD COLUMN payer_name TEXT;
-- V-2.3 (art. 3, 6.1): the dossier-fee invoice is addressed to the servicing's payer when it is
-- not the applicant; NULL when the applicant pays.
ALTER TABLE dossier_invoices ADD COLUMN payer_name TEXT;
