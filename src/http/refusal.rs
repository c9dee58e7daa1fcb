//! Refusals the pages and the API word alike.

use crate::{
    domain::permit::DecisionError,
    i18n::Tr,
    services::{assess::AdjustError, permits::PermitError},
};

/// Why operator staff's change of their answer was refused, in the reader's language: the same
/// words on the page and in the API.
pub fn adjust_refusal(tr: Tr, error: &AdjustError) -> String {
    match error {
        AdjustError::Invalid(input) => format!("{} {}", tr.t("adjust.reason"), tr.error(input)),
        AdjustError::UnknownAction => tr.t("adjust.unknown_action").to_owned(),
        AdjustError::UnknownPrerequisite => tr.t("adjust.unknown_prerequisite").to_owned(),
        AdjustError::UnknownLine => tr.t("adjust.unknown_line").to_owned(),
        AdjustError::Negative => tr.t("adjust.negative").to_owned(),
        AdjustError::TooLarge { field, max } => {
            let max = rust_decimal::Decimal::from(*max);
            let max = if *field == "unit_price" {
                tr.money(max)
            } else {
                tr.number(max)
            };
            tr.f(
                &format!("adjust.too_large_{field}"),
                [("max", max.as_str())],
            )
        }
        AdjustError::NotAnswered => tr.t("adjust.not_answered").to_owned(),
        AdjustError::Stale => tr.t("adjust.stale").to_owned(),
        AdjustError::NoServicing => tr.t("study.no_servicing").to_owned(),
        AdjustError::NoSurvey => tr.t("survey.no_survey").to_owned(),
        AdjustError::EngineRefused(refusals) => {
            let mut text: Vec<String> = refusals.iter().map(|r| r.text(tr)).collect();
            text.push(tr.t("survey.refused_hint").to_owned());
            text.join(" ")
        }
        AdjustError::RefusalWithoutReason => tr.t("adjust.refusal_without_reason").to_owned(),
        AdjustError::RegimeNotAllowed(regime) => tr.f(
            "adjust.regime_not_allowed",
            [("regime", tr.keyed("tariff.vat", regime.code()).as_str())],
        ),
        AdjustError::Unpriced(crate::operators::pricing::Unpriced::NoBookInForce(gap)) => tr.f(
            "tariff_gap.not_recorded",
            [(
                "gap",
                crate::operators::describe::gap_text(tr, gap).as_str(),
            )],
        ),
        AdjustError::Unpriced(crate::operators::pricing::Unpriced::PricingFailed { detail }) => {
            tr.f("tariff_gap.failed_short", [("detail", detail.as_str())])
        }
        AdjustError::Corrupt(_) | AdjustError::NotFound | AdjustError::Db(_) => {
            tr.t("page_error.internal.text").to_owned()
        }
    }
}

/// The rule that refuses a change of an answer, where one does.
pub fn adjust_rule(error: &AdjustError) -> Option<String> {
    match error {
        AdjustError::RefusalWithoutReason => Some("B-4.4".to_owned()),
        AdjustError::EngineRefused(refusals) => {
            let rules: Vec<&str> = refusals.iter().map(|r| r.rule.as_str()).collect();
            (!rules.is_empty()).then(|| rules.join(", "))
        }
        AdjustError::RegimeNotAllowed(_) => Some("B-4.1".to_owned()),
        AdjustError::Unpriced(_) => Some("V-5".to_owned()),
        AdjustError::NoSurvey => Some("B-5.1".to_owned()),
        _ => None,
    }
}

/// Why a step of the joint road-works permit was refused (C-6), in the reader's language: the
/// same words on the commune's and the case officer's pages and in the API.
pub fn permit_refusal(tr: Tr, error: &PermitError) -> String {
    match error {
        PermitError::Decision(DecisionError::Text(input)) => {
            format!("{} {}", tr.t("permit.text_required"), tr.error(input))
        }
        PermitError::Decision(DecisionError::Unknown) => tr.t("permit.unknown_decision").into(),
        PermitError::Decision(DecisionError::NotOpen(status)) => tr.f(
            "permit.not_open",
            [("status", tr.keyed("permit.status", status.code()).as_str())],
        ),
        PermitError::Decision(DecisionError::AlreadyAsked) => tr.t("permit.already_asked").into(),
        PermitError::NoPermit => tr.t("permit.no_permit").into(),
        PermitError::NoQuestion => tr.t("permit.no_question").into(),
        PermitError::AnswerRequired => tr.t("permit.answer_required").into(),
        PermitError::NoConditions => tr.t("permit.no_conditions").into(),
        PermitError::AlreadyApproved => tr.t("permit.already_approved").into(),
        PermitError::Stale => tr.t("permit.stale").into(),
        PermitError::NotFound | PermitError::Db(_) => tr.t("page_error.internal.text").into(),
    }
}

/// The rule a refused permit step breaks, for the API's problem details: the joint permit's
/// course (C-6) says which decision can be made when, and that conditions, a question and a
/// refusal are written.
pub fn permit_rule(error: &PermitError) -> Option<String> {
    match error {
        PermitError::Decision(
            DecisionError::Text(_) | DecisionError::NotOpen(_) | DecisionError::AlreadyAsked,
        ) => Some("C-6".to_owned()),
        _ => None,
    }
}
