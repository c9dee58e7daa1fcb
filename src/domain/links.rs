//! How long the applicant's private links and acceptance codes live.
//!
//! A private link (`/track/{token}`) is the applicant's key to their request: it works while
//! the request is in progress and for six months after it is finished, long enough to read
//! the last payments and documents, then stops. A one-time code emailed to the applicant's
//! address confirms an online acceptance of the offer, which the link alone cannot do.

use std::fmt;

use chrono::{DateTime, Duration, Months, Utc};

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

/// How long an acceptance code may be used after it was sent.
pub const CODE_LIFETIME: Duration = Duration::minutes(15);
/// Wrong tries a code survives; the next one spends it.
pub const CODE_ATTEMPTS: i64 = 5;
/// Codes a request may be sent in a day: with [`CODE_ATTEMPTS`] tries each, guessing a code
/// through a stolen link stays hopeless (at most 50 tries of a million codes a day).
pub const CODES_PER_DAY: i64 = 10;

/// The six digits of an acceptance code, as typed (spaces and dashes between digits are
/// ignored: `123 456`).
#[derive(Clone, PartialEq, Eq)]
pub struct AcceptanceCode(String);

/// What is not a code: anything but six digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an acceptance code has six digits")]
pub struct NotACode;

impl AcceptanceCode {
    pub const DIGITS: usize = 6;

    pub fn parse(raw: &str) -> Result<Self, NotACode> {
        let digits: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.len() == Self::DIGITS && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(NotACode)
        }
    }

    /// The code of a number below one million, zero-padded (`42` → `000042`).
    pub fn from_number(number: u32) -> Self {
        Self(format!("{:06}", number % 1_000_000))
    }
}

impl AsRef<str> for AcceptanceCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Never printed in logs by accident.
impl fmt::Debug for AcceptanceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AcceptanceCode(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn codes_are_six_digits_as_typed() {
        assert_eq!(
            AcceptanceCode::parse(" 123 456 ").unwrap().as_ref(),
            "123456"
        );
        assert_eq!(AcceptanceCode::parse("123-456").unwrap().as_ref(), "123456");
        assert_eq!(AcceptanceCode::parse("12345"), Err(NotACode));
        assert_eq!(AcceptanceCode::parse("1234567"), Err(NotACode));
        assert_eq!(AcceptanceCode::parse("12345a"), Err(NotACode));
        assert_eq!(AcceptanceCode::parse("١٢٣٤٥٦"), Err(NotACode));
        assert_eq!(AcceptanceCode::parse(""), Err(NotACode));
        assert_eq!(AcceptanceCode::from_number(42).as_ref(), "000042");
        assert_eq!(
            format!("{:?}", AcceptanceCode::from_number(42)),
            "AcceptanceCode(******)"
        );
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

        #[test]
        fn every_number_gives_a_code_that_parses_back(number in 0u32..1_000_000) {
            let code = AcceptanceCode::from_number(number);
            prop_assert_eq!(AcceptanceCode::parse(code.as_ref()), Ok(code.clone()));
        }
    }
}
