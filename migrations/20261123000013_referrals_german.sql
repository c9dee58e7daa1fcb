-- German text of a referral (East Belgium's communes read the product in German);
-- NULL shows the French text to German readers.
ALTER TABLE referrals ADD COLUMN text_de TEXT;
