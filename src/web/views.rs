//! Shared pieces of page models: the frame around every page and display helpers.

use std::borrow::Borrow;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::tenancy::Role;
use crate::http::extract::Staff;
pub use crate::http::frame::{Frame, Warning};
use crate::{
    i18n::Tr,
    services::{DbError, RequestRow, case_file, continuity},
    state::AppState,
};

/// The staff member's page frame with the warnings they must act on: a tariff book or the
/// construction holidays running out (`services::continuity`), as of the app's today.
pub async fn warned_frame(state: &AppState, staff: &Staff) -> Result<Frame, DbError> {
    let today = state.clock.today();
    let mut frame = staff.frame.clone();
    frame.warnings = continuity::concerns_for(state, &staff.user, today)
        .await?
        .iter()
        .map(|concern| Warning {
            text: concern.text(staff.tr, today),
            link: concern.action(staff.tr),
        })
        .collect();
    if staff.user.role == Role::PlatformAdmin {
        let failed = crate::services::outbox::failed_count(state).await?;
        if failed > 0 {
            frame.warnings.push(Warning {
                text: staff.tr.f(
                    "outbox.failed_alert",
                    [("count", failed.to_string().as_str())],
                ),
                link: Some((
                    "/admin/outbox".to_owned(),
                    staff.tr.t("outbox.see").to_owned(),
                )),
            });
        }
    }
    Ok(frame)
}

use crate::clock::brussels;

/// A time in Belgian time, in figures as the reader's language writes them.
pub fn local_datetime_in(tr: Tr, at: impl Borrow<DateTime<Utc>>) -> String {
    tr.numeric_datetime(brussels(*at.borrow()))
}

/// A day, or the Belgian day of a time, in figures as the reader's language writes them.
pub fn local_date_in(tr: Tr, at: impl BelgianDay) -> String {
    tr.numeric_date(at.belgian_day())
}

/// What a page can show as a day: a day as it is, a time as the day it is in Brussels.
pub trait BelgianDay {
    fn belgian_day(&self) -> NaiveDate;
}

impl BelgianDay for NaiveDate {
    fn belgian_day(&self) -> NaiveDate {
        *self
    }
}

impl BelgianDay for DateTime<Utc> {
    fn belgian_day(&self) -> NaiveDate {
        crate::clock::day_of(*self)
    }
}

impl<T: BelgianDay> BelgianDay for &T {
    fn belgian_day(&self) -> NaiveDate {
        (**self).belgian_day()
    }
}

/// The site on one line: street and number, postcode and commune, parcel or point.
pub fn site_line(row: &RequestRow) -> String {
    row.site_line()
}

/// The labels of every service in the reader's language: the five of the joint procedure
/// from the catalogue, partners' from their configured offer.
pub struct ServiceNames {
    tr: Tr,
    partners: std::collections::HashMap<String, String>,
}

impl ServiceNames {
    pub async fn load(state: &crate::state::AppState, tr: Tr) -> Result<Self, DbError> {
        Ok(Self::of(tr, &case_file::partner_labels(state).await?))
    }

    /// The names with the partners' labels already read (a case file carries them).
    pub fn of(tr: Tr, labels: &[(String, crate::operators::generic::Labels)]) -> Self {
        let partners = labels
            .iter()
            .map(|(code, label)| (code.clone(), label.get(tr.language()).to_owned()))
            .collect();
        ServiceNames { tr, partners }
    }

    /// The services of the partners joined by configuration: (code, label), by code.
    pub fn partners(&self) -> Vec<(String, String)> {
        let mut partners: Vec<(String, String)> = self
            .partners
            .iter()
            .map(|(code, label)| (code.clone(), label.clone()))
            .collect();
        partners.sort();
        partners
    }

    /// A service this platform offers: one of the five, or a configured partner's (C-8).
    pub fn knows(&self, code: &str) -> bool {
        code.parse::<crate::domain::Service>().is_ok() || self.partners.contains_key(code)
    }

    pub fn name(&self, code: &str) -> String {
        match self.partners.get(code) {
            Some(label) => label.clone(),
            None => self.tr.service(code),
        }
    }
}

/// The communes of a typed list of postcodes (`7000, 7100`), with every refused entry
/// explained in the reader's language.
pub fn communes_of_postcodes(
    directory: &crate::domain::PostcodeDirectory,
    tr: Tr,
    typed: &str,
) -> (Vec<String>, Vec<String>) {
    let mut communes: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    for raw in typed
        .split([',', ' ', ';'])
        .filter(|p| !p.trim().is_empty())
    {
        match crate::domain::Postcode::parse(raw) {
            Ok(postcode) => {
                let found = directory.communes(postcode);
                if found.is_empty() {
                    problems.push(tr.f("crews.unknown_postcode", [("postcode", raw.trim())]));
                }
                for commune in found {
                    if !communes.contains(&commune.nis_code) {
                        communes.push(commune.nis_code.clone());
                    }
                }
            }
            Err(error) => problems.push(format!("{} : {}", raw.trim(), tr.error(&error))),
        }
    }
    (communes, problems)
}

/// A timeline event's detail as people read it: days written the reader's way, and the codes
/// the detail stores (a service for the operators' events, document kinds for the documents')
/// named in the reader's language. Free text typed by people is kept as typed.
pub fn event_detail(tr: Tr, names: &ServiceNames, kind: &str, detail: &str) -> String {
    use crate::domain::timeline::{Piece, Token, pieces};
    pieces(detail)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => event_words(tr, names, kind, text),
            Piece::Token(Token::Money(amount)) => tr.money(amount),
            Piece::Token(Token::Outstanding(amount)) => tr.f(
                "offer.standing.outstanding",
                [("amount", tr.money(amount).as_str())],
            ),
            Piece::Token(Token::Refund(amount)) => tr.f(
                "offer.standing.refund",
                [("amount", tr.money(amount).as_str())],
            ),
            Piece::Token(Token::Statement {
                number,
                opened_on,
                account,
            }) => crate::services::statements::statement_label(tr, &account, number, opened_on),
            Piece::Token(Token::DossierFee) => tr.t("dossier_fee.title").to_owned(),
        })
        .collect()
}

/// The words of a detail's text: days and stored codes written for the reader.
fn event_words(tr: Tr, names: &ServiceNames, kind: &str, detail: &str) -> String {
    let services = matches!(kind, "operator_assessed" | "works_done");
    let documents = kind.starts_with("document") || kind == "documents_requested";
    let mut out = String::with_capacity(detail.len());
    let mut token = String::new();
    let word = |token: &str| -> String {
        if token.len() == 10
            && let Ok(day) = chrono::NaiveDate::parse_from_str(token, "%Y-%m-%d")
        {
            return tr.numeric_date(day);
        }
        if services && names.knows(token) {
            return names.name(token);
        }
        if documents
            && let Some(kind) = crate::domain::DocumentKind::ALL
                .into_iter()
                .find(|kind| kind.code() == token)
        {
            return crate::services::documents::kind_label(tr, kind);
        }
        token.to_owned()
    };
    for c in detail.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            token.push(c);
        } else {
            out.push_str(&word(&token));
            token.clear();
            out.push(c);
        }
    }
    out.push_str(&word(&token));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn brussels_time_follows_eu_summer_time() {
        // 2026: summer time from 29 March to 25 October.
        assert_eq!(
            brussels(utc("2026-01-15T12:00:00Z"))
                .format("%H:%M")
                .to_string(),
            "13:00"
        );
        assert_eq!(
            brussels(utc("2026-03-29T00:59:00Z"))
                .format("%H:%M")
                .to_string(),
            "01:59"
        );
        assert_eq!(
            brussels(utc("2026-03-29T01:00:00Z"))
                .format("%H:%M")
                .to_string(),
            "03:00"
        );
        assert_eq!(
            brussels(utc("2026-07-01T12:00:00Z"))
                .format("%H:%M")
                .to_string(),
            "14:00"
        );
        assert_eq!(
            brussels(utc("2026-10-25T01:00:00Z"))
                .format("%H:%M")
                .to_string(),
            "02:00"
        );
    }

    #[test]
    fn a_time_shows_as_its_belgian_day_and_a_day_as_itself() {
        let fr = Tr(Language::Fr);
        // 23:30 UTC on New Year's Eve is already 1 January in Brussels (UTC+1).
        assert_eq!(local_date_in(fr, utc("2026-12-31T23:30:00Z")), "01/01/2027");
        assert_eq!(
            local_datetime_in(fr, utc("2026-12-31T23:30:00Z")),
            "01/01/2027 00:30"
        );
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(local_date_in(fr, day), "31/12/2026");
    }
}
