-- Each operator records when its crew's works on the joint day are done.
ALTER TABLE reservations ADD COLUMN done_at TEXT;
