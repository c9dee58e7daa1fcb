//! An operator's answer in words, in the reader's language: prerequisites with who and by
//! when, lead times. Shared by the pages and the offer document.

use super::{Assessment, Deadline, LeadTimeStart, Party, Prerequisite, Span, pricing::Unpriced};
use crate::{
    i18n::Tr,
    tariff::{TariffGap, gap::operator_name},
};

pub fn prerequisite_label(tr: Tr, prerequisite: &Prerequisite) -> String {
    match &prerequisite.label {
        Some(own) => own.get(tr.language()).to_owned(),
        None => tr.keyed("prerequisite", &prerequisite.code),
    }
}

pub fn party_label(tr: Tr, party: Party) -> String {
    tr.keyed(
        "assessment.who",
        match party {
            Party::Applicant => "applicant",
            Party::Operator => "operator",
            Party::Coordinator => "coordinator",
        },
    )
}

pub fn deadline_label(tr: Tr, deadline: Deadline) -> String {
    match deadline {
        Deadline::BeforeOffer => tr.t("assessment.deadline.before_offer").to_owned(),
        Deadline::BeforeWorks => tr.t("assessment.deadline.before_works").to_owned(),
        Deadline::DaysBeforeWorks(days) => tr.f(
            "assessment.deadline.days_before_works",
            [("days", days.to_string().as_str())],
        ),
        Deadline::DaysAfterWorks(days) => tr.f(
            "assessment.deadline.days_after_works",
            [("days", days.to_string().as_str())],
        ),
    }
}

/// "Situation plan — applicant, before the works (V-9.1)".
pub fn prerequisite_line(tr: Tr, prerequisite: &Prerequisite) -> String {
    format!(
        "{} — {}, {} ({})",
        prerequisite_label(tr, prerequisite),
        party_label(tr, prerequisite.who),
        deadline_label(tr, prerequisite.deadline),
        prerequisite.rule
    )
}

fn lead_start_code(answer: &Assessment) -> &'static str {
    match answer.lead_time.start {
        LeadTimeStart::ConditionsMet => "conditions_met",
        LeadTimeStart::Payment => "payment",
        LeadTimeStart::LatestOfPermitsPaymentTrenches => "permits_payment_trenches",
    }
}

/// "Within 30 calendar days of the conditions being met (B-5.5)".
pub fn lead_time_text(tr: Tr, answer: &Assessment) -> String {
    let (key, count) = match answer.lead_time.within {
        Span::CalendarDays(n) => ("assessment.within_calendar_days", n),
        Span::WorkingDays(n) => ("assessment.within_working_days", n),
        Span::CalendarMonths(n) => ("assessment.within_calendar_months", n),
    };
    let mut text = format!(
        "{} ({})",
        tr.f(
            key,
            [
                ("count", count.to_string().as_str()),
                (
                    "start",
                    tr.keyed("assessment.start", lead_start_code(answer))
                        .as_str()
                ),
            ],
        ),
        tr.keyed("assessment.source", &answer.lead_time.source)
    );
    // V-8.6: the months a rule adds are said with their rule.
    if let Some(extra) = &answer.lead_time.extra {
        text.push_str(", ");
        text.push_str(&tr.f(
            "assessment.extra_months",
            [
                ("count", extra.months.to_string().as_str()),
                ("rule", extra.source.as_str()),
            ],
        ));
    }
    text
}

/// What a part leaves to a separate offer and the texts its offer must carry, translated: the
/// same notes on the officer's page and in the consolidated offer.
pub fn part_notes(tr: Tr, answer: &Assessment) -> Vec<String> {
    answer
        .separately_quoted
        .iter()
        .map(|item| {
            tr.f(
                "part.separately_quoted",
                [
                    ("item", tr.t(&item.label_key)),
                    ("rule", item.rule.as_str()),
                ],
            )
        })
        .chain(answer.mentions.iter().map(|key| tr.t(key).to_owned()))
        .collect()
}

/// "Aucun barème ORES n'est en vigueur le 04/01/2028 (le dernier, ORES-2027-demo.1, a pris fin
/// le 31/12/2027)": the day and the books around it (V-5).
pub fn gap_text(tr: Tr, gap: &TariffGap) -> String {
    let operator = operator_name(gap.operator);
    let day = |date| tr.numeric_date(date);
    let around = match (&gap.previous_book, &gap.next_book) {
        (Some(last), None) => tr.f(
            "tariff_gap.after_last",
            [
                ("version", last.version.as_str()),
                ("until", day(last.valid_until).as_str()),
            ],
        ),
        (None, Some(first)) => tr.f(
            "tariff_gap.before_first",
            [
                ("version", first.version.as_str()),
                ("from", day(first.valid_from).as_str()),
            ],
        ),
        (Some(previous), Some(next)) => tr.f(
            "tariff_gap.between",
            [
                ("version", previous.version.as_str()),
                ("until", day(previous.valid_until).as_str()),
                ("next", next.version.as_str()),
                ("from", day(next.valid_from).as_str()),
            ],
        ),
        (None, None) => tr.f("tariff_gap.none", [("operator", operator)]),
    };
    tr.f(
        "tariff_gap.no_book",
        [
            ("operator", operator),
            ("date", day(gap.date).as_str()),
            ("around", around.as_str()),
        ],
    )
}

/// Why a part has no price and what follows from it, for staff (the answer's pages).
pub fn unpriced_text(tr: Tr, unpriced: &Unpriced) -> String {
    match unpriced {
        Unpriced::NoBookInForce(gap) => {
            tr.f("tariff_gap.unpriced", [("gap", gap_text(tr, gap).as_str())])
        }
        Unpriced::PricingFailed { detail } => {
            tr.f("tariff_gap.failed", [("detail", detail.as_str())])
        }
    }
}

/// Why a part has no price, in short (`None`: an answer stored before the reason was kept).
pub fn unpriced_short(tr: Tr, unpriced: Option<&Unpriced>) -> String {
    match unpriced {
        Some(Unpriced::NoBookInForce(gap)) => gap_text(tr, gap),
        Some(Unpriced::PricingFailed { detail }) => {
            tr.f("tariff_gap.failed_short", [("detail", detail.as_str())])
        }
        None => tr.t("tariff_gap.legacy").to_owned(),
    }
}

/// What the request says of the home and of the payer's VAT position, as staff read it: new
/// build or existing (with its age, which decides the 6% rate), what is asked of existing
/// connections (B-8, B-9), and a declared exemption with whether its proof is in (B-4.1).
pub fn home_facts(tr: Tr, facts: &super::RequestFacts) -> Vec<(String, String)> {
    use crate::domain::{Dwelling, survey::WaterWork};
    use crate::tariff::VatStatus;
    let mut rows = Vec::new();
    let home = match facts.dwelling {
        Dwelling::New => tr.t("form.dwelling.new").to_owned(),
        Dwelling::Existing { first_occupied } => tr.f(
            "request.home.existing",
            [
                ("year", first_occupied.to_string().as_str()),
                (
                    "age",
                    facts
                        .dwelling
                        .age_on(facts.submitted_on)
                        .unwrap_or_default()
                        .to_string()
                        .as_str(),
                ),
            ],
        ),
    };
    rows.push((tr.t("form.field.dwelling").to_owned(), home));
    if let (Some(current), Some(asked)) = (facts.electricity_current_band, facts.electricity_band) {
        rows.push((
            tr.t("request.home.power_increase").to_owned(),
            format!("{} → {}", tr.band(current), tr.band(asked)),
        ));
    }
    if facts.water_work != WaterWork::New {
        let mut work = tr.keyed(
            "form.dwelling",
            format!("water_{}", facts.water_work.code()),
        );
        if facts.water_unbilled {
            work = format!("{work} — {}", tr.t("request.home.unbilled"));
        }
        rows.push((tr.t("form.field.water_work").to_owned(), work));
    }
    let vat = match facts.applicant_vat {
        VatStatus::Private => tr.t("form.vat.none").to_owned(),
        VatStatus::VatFiler => tr.t("form.vat.vat_filer").to_owned(),
        VatStatus::Exempt if facts.exemption_proved => {
            tr.t("request.home.exempt_proved").to_owned()
        }
        VatStatus::Exempt => tr.t("request.home.exempt_pending").to_owned(),
    };
    rows.push((tr.t("form.field.vat").to_owned(), vat));
    rows
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::{
        domain::Language,
        tariff::{BookSet, Operator},
    };

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn v_5_a_part_without_a_book_is_said_with_the_day_and_the_last_book_in_each_language() {
        let books = BookSet::embedded().unwrap();
        let gap =
            Unpriced::NoBookInForce(TariffGap::around(&books, Operator::Ores, day(2028, 1, 4)));
        assert_eq!(
            unpriced_text(Tr(Language::Fr), &gap),
            "Aucun barème ORES n'est en vigueur le 04/01/2028 (le dernier, ORES-2027-demo.1, a \
             pris fin le 31/12/2027) : cette part reste sans prix et l'offre ne peut pas être \
             envoyée tant qu'elle n'est pas chiffrée (règle V-5)."
        );
        assert_eq!(
            unpriced_text(Tr(Language::En), &gap),
            "No ORES tariff book is in force on 04/01/2028 (the last one, ORES-2027-demo.1, ended \
             on 31/12/2027): this part stays unpriced and the offer cannot be sent until it is \
             priced (rule V-5)."
        );
        assert_eq!(
            unpriced_text(Tr(Language::De), &gap),
            "Am 04.01.2028 ist keine Tarifliste von ORES gültig (die letzte, ORES-2027-demo.1, \
             endete am 31.12.2027): Dieser Teil bleibt ohne Preis, und das Angebot kann erst \
             versendet werden, wenn er beziffert ist (Regel V-5)."
        );
        assert_eq!(
            unpriced_text(Tr(Language::Nl), &gap),
            "Op 04/01/2028 geldt geen tarieflijst van ORES (de laatste, ORES-2027-demo.1, liep \
             af op 31/12/2027): dit deel blijft zonder prijs en de offerte kan niet worden \
             verstuurd zolang het niet berekend is (regel V-5)."
        );
        // Before the first book, and a day no book of the operator covers at all.
        let before = TariffGap::around(&books, Operator::Swde, day(2025, 6, 1));
        assert_eq!(
            gap_text(Tr(Language::Fr), &before),
            "Aucun barème SWDE n'est en vigueur le 01/06/2025 (le premier, SWDE-2026-demo.1, ne \
             commence que le 01/01/2026)"
        );
        let nothing = TariffGap::around(&BookSet::default(), Operator::Voo, day(2028, 1, 4));
        assert_eq!(
            gap_text(Tr(Language::En), &nothing),
            "No VOO tariff book is in force on 04/01/2028 (no VOO tariff book is loaded)"
        );
        // An answer stored before the reason was kept with it.
        assert_eq!(
            unpriced_short(Tr(Language::Fr), None),
            "Aucun tarif n'était en vigueur à la date de la demande"
        );
    }
}
