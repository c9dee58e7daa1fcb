//! Where a version of the consolidated offer stands (C-3: one offer for every operator).

super::stored_code! {
    /// An offer version's status; stored as its code.
    pub enum OfferStatus {
        /// Sent to the applicant, open to acceptance until it lapses (V-8.1).
        Sent = "sent",
        Accepted = "accepted",
        /// Replaced by a revised version (V-8.3).
        Superseded = "superseded",
        /// Not accepted within its validity (V-8.1).
        Lapsed = "lapsed",
    }
}

impl OfferStatus {
    /// The codes, in order, for the API's description.
    pub fn codes() -> [&'static str; 4] {
        Self::ALL.map(Self::code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_from_their_stored_codes_and_nothing_else() {
        crate::domain::assert_stored_codes(
            &[
                ("sent", OfferStatus::Sent),
                ("accepted", OfferStatus::Accepted),
                ("superseded", OfferStatus::Superseded),
                ("lapsed", OfferStatus::Lapsed),
            ],
            &["Sent", "paid"],
        );
    }
}
