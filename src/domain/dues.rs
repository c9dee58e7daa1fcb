//! Who pays whom under an offer, and where each due stands once payments are recorded.
//!
//! - The applicant pays each operator document in full before the works (V-8.2.1: the contract
//!   is formed on full payment), a commune acting as project owner pays ORES' servicing after
//!   them (V-8.2.1), SWDE may be paid in agreed instalments (B-5.4).
//! - The applicant pays each earlier holder of a water extension its quote-part directly
//!   (B-10): never through the operator.
//! - ORES pays the applicant the cabin lease fee at the signing of the deed (V-9.2): never
//!   deducted from what the applicant pays.
//!
//! A due is paid when the payments recorded against it reach its amount; more is a refund due.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::money::{self, Overflow};

super::stored_code! {
    /// Who pays whom.
    pub enum Direction {
        ApplicantToOperator = "applicant_to_operator",
        ApplicantToHolder = "applicant_to_holder",
        OperatorToApplicant = "operator_to_applicant",
    }
}

super::stored_code! {
    /// When a due must be paid.
    pub enum DueWhen {
        BeforeWorks = "before_works",
        /// A commune acting as project owner pays ORES' servicing after the works (V-8.2.1).
        AfterWorks = "after_works",
        /// At the signing of the notarial deed (V-9.2).
        AtDeed = "at_deed",
    }
}

/// One recorded payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paid {
    pub amount: Decimal,
    pub on: NaiveDate,
}

/// Where a due stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub due: Decimal,
    pub paid: Decimal,
    /// What is still to pay (never negative).
    pub outstanding: Decimal,
    /// What was paid beyond the amount due, to refund.
    pub refund: Decimal,
    /// The day of the payment that completed it; `None` while something is outstanding.
    pub settled_on: Option<NaiveDate>,
}

impl Standing {
    pub fn is_settled(&self) -> bool {
        self.outstanding.is_zero()
    }
}

/// Where a due of `due` stands after `payments` (any order).
pub fn standing(due: Decimal, payments: &[Paid]) -> Result<Standing, Overflow> {
    let mut sorted = payments.to_vec();
    sorted.sort_by_key(|p| p.on);
    let mut paid = Decimal::ZERO;
    let mut settled_on = None;
    for payment in &sorted {
        paid = money::add(paid, payment.amount)?;
        if settled_on.is_none() && paid >= due {
            settled_on = Some(payment.on);
        }
    }
    let outstanding = money::sub(due, paid)?.max(Decimal::ZERO);
    let refund = money::sub(paid, due)?.max(Decimal::ZERO);
    Ok(Standing {
        due,
        paid,
        outstanding,
        refund,
        settled_on,
    })
}

/// Why a payment cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentRefusal {
    #[error("a payment is a positive amount")]
    NotPositive,
    #[error("a payment cannot be dated in the future: today is {today}")]
    Future { today: NaiveDate },
    #[error("a payment cannot be dated before the offer was sent")]
    BeforeOffer,
    #[error("the offer is not accepted yet (V-8.2.1)")]
    NotAccepted,
    #[error("this due is already paid in full")]
    AlreadyPaid,
}

/// What the recording of a payment knows.
pub struct PaymentCheck {
    pub amount: Decimal,
    pub paid_on: NaiveDate,
    pub today: NaiveDate,
    pub offer_sent_on: NaiveDate,
    /// The document is an offer not (yet) accepted; an invoice is due without acceptance.
    pub awaiting_acceptance: bool,
    pub standing: Standing,
}

/// The day a payment was made, as a date field sends it (`2026-12-02`) or as people write it
/// (`02/12/2026`, `02.12.2026`); `None` when it is no date at all. A real day in the future
/// is a date: [`check_payment`] refuses it as such, saying what today is.
pub fn parse_paid_on(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"]
        .iter()
        .find_map(|pattern| NaiveDate::parse_from_str(raw, pattern).ok())
}

/// Refuses what cannot be a real payment of this due; an overpayment is recorded and shown
/// as a refund due (the money arrived: refusing it would lose it).
pub fn check_payment(check: &PaymentCheck) -> Result<(), PaymentRefusal> {
    if check.amount <= Decimal::ZERO {
        return Err(PaymentRefusal::NotPositive);
    }
    if check.paid_on > check.today {
        return Err(PaymentRefusal::Future { today: check.today });
    }
    if check.paid_on < check.offer_sent_on {
        return Err(PaymentRefusal::BeforeOffer);
    }
    if check.awaiting_acceptance {
        return Err(PaymentRefusal::NotAccepted);
    }
    if check.standing.is_settled() {
        return Err(PaymentRefusal::AlreadyPaid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, d).unwrap()
    }

    #[test]
    fn directions_and_due_moments_read_back_as_stored() {
        crate::domain::assert_stored_codes(
            &[
                ("applicant_to_operator", Direction::ApplicantToOperator),
                ("applicant_to_holder", Direction::ApplicantToHolder),
                ("operator_to_applicant", Direction::OperatorToApplicant),
            ],
            &["ApplicantToOperator", "applicant", ""],
        );
        crate::domain::assert_stored_codes(
            &[
                ("before_works", DueWhen::BeforeWorks),
                ("after_works", DueWhen::AfterWorks),
                ("at_deed", DueWhen::AtDeed),
            ],
            &["before", "AtDeed", ""],
        );
    }

    fn eur(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn v_8_2_1_a_due_is_paid_when_its_payments_reach_the_amount() {
        let partial = standing(
            eur("1210.00"),
            &[Paid {
                amount: eur("1000.00"),
                on: day(3),
            }],
        )
        .unwrap();
        assert_eq!(
            (partial.outstanding, partial.refund, partial.settled_on),
            (eur("210.00"), Decimal::ZERO, None)
        );
        let full = standing(
            eur("1210.00"),
            &[
                Paid {
                    amount: eur("210.00"),
                    on: day(9),
                },
                Paid {
                    amount: eur("1000.00"),
                    on: day(3),
                },
            ],
        )
        .unwrap();
        assert_eq!(
            (full.outstanding, full.settled_on),
            (Decimal::ZERO, Some(day(9)))
        );
        let over = standing(
            eur("100.00"),
            &[Paid {
                amount: eur("150.00"),
                on: day(2),
            }],
        )
        .unwrap();
        assert_eq!((over.refund, over.settled_on), (eur("50.00"), Some(day(2))));
    }

    #[test]
    fn v_8_2_1_a_payment_day_is_read_as_the_form_sends_it_or_as_people_write_it() {
        for raw in ["2027-03-11", " 11/03/2027 ", "11.03.2027"] {
            assert_eq!(parse_paid_on(raw), Some(day(11)), "{raw}");
        }
        for raw in ["", "demain", "31/02/2027", "2027-13-01"] {
            assert_eq!(parse_paid_on(raw), None, "{raw}");
        }
    }

    #[test]
    fn payments_that_cannot_be_real_are_refused_with_the_reason() {
        let open = standing(eur("100.00"), &[]).unwrap();
        let check = |amount: &str, paid_on, awaiting, standing| {
            check_payment(&PaymentCheck {
                amount: eur(amount),
                paid_on,
                today: day(10),
                offer_sent_on: day(2),
                awaiting_acceptance: awaiting,
                standing,
            })
        };
        assert_eq!(check("50", day(5), false, open), Ok(()));
        assert_eq!(
            check("0", day(5), false, open),
            Err(PaymentRefusal::NotPositive)
        );
        assert_eq!(
            check("50", day(11), false, open),
            Err(PaymentRefusal::Future { today: day(10) })
        );
        assert_eq!(
            check("50", day(1), false, open),
            Err(PaymentRefusal::BeforeOffer)
        );
        assert_eq!(
            check("50", day(5), true, open),
            Err(PaymentRefusal::NotAccepted)
        );
        let paid = standing(
            eur("100.00"),
            &[Paid {
                amount: eur("100.00"),
                on: day(4),
            }],
        )
        .unwrap();
        assert_eq!(
            check("50", day(5), false, paid),
            Err(PaymentRefusal::AlreadyPaid)
        );
    }

    proptest! {
        #[test]
        fn paid_outstanding_and_refund_always_balance(
            due in 0i64..10_000_000,
            cents in proptest::collection::vec(1i64..5_000_000, 0..6),
        ) {
            let due = Decimal::new(due, 2);
            let payments: Vec<Paid> = cents
                .iter()
                .enumerate()
                .map(|(i, c)| Paid { amount: Decimal::new(*c, 2), on: day(1 + i as u32) })
                .collect();
            let s = standing(due, &payments).unwrap();
            prop_assert_eq!(due - s.outstanding + s.refund, s.paid);
            prop_assert!(s.outstanding.is_zero() || s.refund.is_zero());
            prop_assert_eq!(s.settled_on.is_some(), s.paid >= due && !payments.is_empty());
        }
    }
}
