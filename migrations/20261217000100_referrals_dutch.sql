-- Dutch text of a referral (a Flemish address, a Dutch-speaking applicant);
-- NULL shows the French text to Dutch readers.
ALTER TABLE referrals ADD COLUMN text_nl TEXT;
