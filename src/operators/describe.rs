//! An operator's answer in words, in the reader's language: prerequisites with who and by
//! when, lead times. Shared by the pages and the offer document.

use super::{Assessment, Deadline, LeadTimeStart, Party, Prerequisite, Span};
use crate::i18n::Tr;

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
    };
    format!(
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
    )
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
