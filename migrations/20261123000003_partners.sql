-- Partners joined by configuration (rule C-8): what the generic module answers for them.
ALTER TABLE organisations ADD COLUMN partner TEXT;
