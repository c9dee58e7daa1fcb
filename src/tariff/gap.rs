//! A day no book of an operator is in force on (V-5), with the books around it: what is said
//! instead of a price, never a price at zero.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{BookSet, EstimateCase, Operator, TariffError, Tariffs};

/// The validity of one book, as a gap names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BookSpan {
    pub version: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

/// No book of `operator` is in force on `date`: the last book that ended before it and the
/// first one starting after it, when they exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TariffGap {
    pub operator: Operator,
    /// The tariff date looked up: the request date, or the modification date (V-5, V-8.3).
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_book: Option<BookSpan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_book: Option<BookSpan>,
}

impl TariffGap {
    /// Where `date` falls among `operator`'s books in `books`.
    pub fn around(books: &BookSet, operator: Operator, date: NaiveDate) -> Self {
        let span = |book: &super::TariffBook| BookSpan {
            version: book.book.version.clone(),
            valid_from: book.book.valid_from,
            valid_until: book.book.valid_until,
        };
        let own = || books.books().iter().filter(|b| b.operator() == operator);
        TariffGap {
            operator,
            date,
            previous_book: own()
                .filter(|b| b.book.valid_until < date)
                .max_by_key(|b| b.book.valid_until)
                .map(span),
            next_book: own()
                .filter(|b| b.book.valid_from > date)
                .min_by_key(|b| b.book.valid_from)
                .map(span),
        }
    }

    /// The gap a refusal of the engines reports, if it is one (`NoBookInForce`); any other
    /// error is not a gap.
    pub fn of(books: &BookSet, error: &TariffError) -> Option<Self> {
        match error {
            TariffError::NoBookInForce { operator, date, .. } => {
                Some(Self::around(books, *operator, *date))
            }
            _ => None,
        }
    }
}

/// Every gap of a described case: each operator it asks for (ORES for electricity, gas and
/// servicing) without a book in force on its tariff date (V-5, V-8.3), in `Operator` order.
pub fn gaps_of_case(tariffs: &Tariffs, case: &EstimateCase) -> Vec<TariffGap> {
    let date = case.modification_date.unwrap_or(case.request_date);
    let asked = |operator: Operator| match operator {
        Operator::Ores => {
            case.electricity.is_some() || case.gas.is_some() || case.servicing.is_some()
        }
        Operator::Swde => case.water.is_some(),
        Operator::Proximus => case.proximus,
        Operator::Voo => case.voo,
    };
    Operator::ALL
        .into_iter()
        .filter(|operator| asked(*operator))
        .filter(|operator| tariffs.books.in_force(*operator, date).is_err())
        .map(|operator| TariffGap::around(&tariffs.books, operator, date))
        .collect()
}

/// The operator's name as staff and applicants write it.
pub fn operator_name(operator: Operator) -> &'static str {
    match operator {
        Operator::Ores => "ORES",
        Operator::Swde => "SWDE",
        Operator::Proximus => "Proximus",
        Operator::Voo => "VOO",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn v_5_a_gap_names_the_books_around_the_day() {
        let books = BookSet::embedded().unwrap();
        let after = TariffGap::around(&books, Operator::Ores, day(2028, 1, 4));
        let last = after.previous_book.as_ref().unwrap();
        assert_eq!(
            (last.version.as_str(), last.valid_until, after.next_book),
            ("ORES-2027-demo.1", day(2027, 12, 31), None)
        );
        let before = TariffGap::around(&books, Operator::Swde, day(1999, 1, 4));
        assert_eq!(before.previous_book, None);
        assert_eq!(
            before.next_book.map(|b| (b.version, b.valid_from)),
            Some(("SWDE-2026-demo.1".to_owned(), day(2026, 1, 1)))
        );
        let error = books.in_force(Operator::Voo, day(2028, 1, 4)).unwrap_err();
        let gap = TariffGap::of(&books, &error).unwrap();
        assert_eq!((gap.operator, gap.date), (Operator::Voo, day(2028, 1, 4)));
        assert_eq!(
            TariffGap::of(&books, &TariffError::NothingRequested),
            None,
            "another refusal is no gap"
        );
    }

    #[test]
    fn v_5_a_case_names_every_operator_it_asks_without_a_book() {
        let tariffs = Tariffs::embedded();
        let mut case = EstimateCase::new(day(2028, 1, 4));
        case.water = Some(crate::tariff::WaterCase::default());
        case.voo = true;
        let gaps = gaps_of_case(tariffs, &case);
        let operators: Vec<Operator> = gaps.iter().map(|g| g.operator).collect();
        assert_eq!(operators, [Operator::Swde, Operator::Voo]);
        case.request_date = day(2027, 12, 31);
        assert!(gaps_of_case(tariffs, &case).is_empty());
    }
}
