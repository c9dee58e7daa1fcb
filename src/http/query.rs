//! Query strings that pages and their JSON twins read alike.

use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;

use crate::{
    domain::{
        RequestState, UserId,
        tenancy::{Assigned, Paging, QueueFilter, QueueOrder, StateFilter},
    },
    i18n::Tr,
    scheduling::calendar::month_start,
};

/// Queue filters as typed in the query string; empty means "any".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub state: String,
    pub commune: String,
    pub from: String,
    pub to: String,
    /// `me`, `nobody`, or empty for everybody's.
    pub assigned: String,
    /// Not empty: only requests with a part left unpriced for lack of a tariff in force (V-5).
    pub no_tariff: String,
    /// `newest` (default) or `urgent`.
    pub order: String,
    /// 1-based page number; anything unreadable is the first page.
    pub page: String,
    /// Lines per page (50 by default, 200 at most).
    pub per_page: String,
}

impl QueueQuery {
    /// Unknown states and malformed dates are ignored rather than refused: the queue shows
    /// everything and the form shows what was applied.
    /// `unset`: the states shown when the query names none (`all`, `open` or a state code).
    pub fn filter(&self, me: UserId, unset: StateFilter) -> QueueFilter {
        let date = |text: &str| chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
        QueueFilter {
            state: match self.state.trim() {
                "" => unset,
                "all" => StateFilter::Any,
                "open" => StateFilter::Open,
                code => code
                    .parse::<RequestState>()
                    .map(StateFilter::Only)
                    .unwrap_or(unset),
            },
            commune_nis: Some(self.commune.trim().to_owned()).filter(|c| !c.is_empty()),
            submitted_from: date(&self.from),
            submitted_to: date(&self.to),
            assigned: match self.assigned.as_str() {
                "me" => Some(Assigned::To(me)),
                "nobody" => Some(Assigned::Nobody),
                _ => None,
            },
            no_tariff: !self.no_tariff.trim().is_empty(),
        }
    }

    pub fn order(&self) -> QueueOrder {
        QueueOrder::parse(&self.order)
    }

    pub fn paging(&self) -> Paging {
        let number = |text: &str| text.trim().parse::<u32>().ok();
        Paging::new(number(&self.page), number(&self.per_page))
    }

    /// The query string of another page of the same queue: the filters, the order and the
    /// page size kept, empty values left out.
    pub fn page_link(&self, page: u32) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("state", &self.state),
            ("commune", &self.commune),
            ("from", &self.from),
            ("to", &self.to),
            ("assigned", &self.assigned),
            ("no_tariff", &self.no_tariff),
            ("order", &self.order),
            ("per_page", &self.per_page),
        ]
        .into_iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(name, value)| (name, value.trim().to_owned()))
        .collect();
        pairs.push(("page", page.to_string()));
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FiguresQuery {
    pub from: String,
    pub to: String,
    pub commune: String,
}

/// The longest period the figures cover at once.
const MAX_MONTHS: u32 = 60;

/// The period asked for: this year by default; `Err` with why when it cannot be read.
/// The period asked for (this year by default), refused in the user's language when the
/// dates are wrong, in the wrong order or too far apart.
pub fn period(
    tr: Tr,
    query: &FiguresQuery,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let date = |text: &str, default: NaiveDate| {
        if text.trim().is_empty() {
            Ok(default)
        } else {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| tr.error(&crate::domain::InputError::Date))
        }
    };
    let from = date(
        &query.from,
        NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
    )?;
    let to = date(
        &query.to,
        NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today),
    )?;
    if to < from {
        return Err(tr.error(&crate::domain::InputError::PeriodOrder));
    }
    if month_start(from) + Months::new(MAX_MONTHS) <= to {
        return Err(tr.f(
            "nuisance.period_too_long",
            [("months", MAX_MONTHS.to_string().as_str())],
        ));
    }
    Ok((from, to))
}
