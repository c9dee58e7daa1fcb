-- V-4.1c: a division by donation, inheritance or an involuntary act is priced on the frontage
-- of the parts where new buildings are planned: stored as metres separated by ';' (`25;12`).
ALTER TABLE requests ADD COLUMN servicing_planned_frontages TEXT;
