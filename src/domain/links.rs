//! How long the applicant's private links live.
//!
//! A private link (`/track/{token}`) is the applicant's key to their request: it works while
//! the request is in progress and for six months after it is finished, long enough to read
//! the last payments and documents, then stops.

use chrono::{DateTime, Months, Utc};

/// Months a private link keeps working after its request is finished.
pub const LINK_MONTHS_AFTER_CLOSING: u32 = 6;

/// When the links of a request finished at `closed_at` stop working.
pub fn links_end_at(closed_at: DateTime<Utc>) -> DateTime<Utc> {
    closed_at
        .checked_add_months(Months::new(LINK_MONTHS_AFTER_CLOSING))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether the links of a request still work at `now`: always while it is in progress
/// (`closed_at` is `None`), until six months after its closing otherwise.
pub fn links_alive(closed_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    closed_at.is_none_or(|closed| now < links_end_at(closed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn links_work_until_six_calendar_months_after_closing() {
        let closed = at("2027-03-15T14:30:00Z");
        assert_eq!(links_end_at(closed), at("2027-09-15T14:30:00Z"));
        assert!(links_alive(Some(closed), at("2027-09-14T14:30:00Z")));
        assert!(links_alive(Some(closed), at("2027-09-15T14:29:59Z")));
        assert!(!links_alive(Some(closed), at("2027-09-15T14:30:00Z")));
        // A month shorter than the closing day ends on its last day.
        assert_eq!(
            links_end_at(at("2027-08-31T10:00:00Z")),
            at("2028-02-29T10:00:00Z")
        );
    }

    #[test]
    fn links_of_a_request_in_progress_never_end() {
        assert!(links_alive(None, at("2099-01-01T00:00:00Z")));
    }

    proptest! {
        /// Alive exactly before the end, never again after it, and always for at least the
        /// 181 days of the shortest six months.
        #[test]
        fn a_link_lives_six_months_then_never_again(
            closed_secs in 1_700_000_000i64..2_500_000_000,
            later_secs in 0i64..40_000_000,
        ) {
            let closed = DateTime::from_timestamp(closed_secs, 0).unwrap();
            let now = closed + Duration::seconds(later_secs);
            let end = links_end_at(closed);
            prop_assert_eq!(links_alive(Some(closed), now), now < end);
            prop_assert!(end - closed >= Duration::days(181));
            prop_assert!(end - closed <= Duration::days(184));
            if !links_alive(Some(closed), now) {
                prop_assert!(!links_alive(Some(closed), now + Duration::days(1)));
            }
        }
    }
}
