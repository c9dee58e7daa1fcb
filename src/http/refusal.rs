//! Refusals the pages and the API word alike.

use crate::{
    domain::permit::DecisionError,
    i18n::Tr,
    services::{
        assess::AdjustError, offers::OfferError, permits::PermitError, schedule::CrewError,
        statements::StatementError,
    },
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
        // The study prices the servicing of land (V-2.1): a part without one takes none.
        AdjustError::NoServicing => Some("V-2.1".to_owned()),
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

/// Why a payment was not recorded, with its rule where one decides.
pub fn payment_refusal(tr: Tr, refusal: &crate::domain::dues::PaymentRefusal) -> String {
    use crate::domain::dues::PaymentRefusal;
    if let PaymentRefusal::Future { today } = refusal {
        return tr.f(
            "offer.refused.payment_future",
            [("today", tr.numeric_date(today).as_str())],
        );
    }
    tr.t(match refusal {
        PaymentRefusal::NotPositive => "offer.refused.payment_not_positive",
        PaymentRefusal::Future { .. } => "offer.refused.payment_future",
        PaymentRefusal::BeforeOffer => "offer.refused.payment_before_offer",
        PaymentRefusal::NotAccepted => "offer.refused.not_accepted",
        PaymentRefusal::AlreadyPaid => "offer.refused.already_paid",
    })
    .to_owned()
}

/// Why an offer action was refused, in the user's words.
pub fn offer_refusal(tr: Tr, error: &OfferError) -> String {
    match error {
        OfferError::NotAssessed => tr.t("offer.refused.not_assessed").to_owned(),
        OfferError::WrongState(state) => {
            tr.f("offer.refused.state", [("state", tr.state(state).as_str())])
        }
        OfferError::ReasonRequired => tr.t("offer.refused.reason").to_owned(),
        OfferError::NoOffer => tr.t("offer.refused.no_offer").to_owned(),
        OfferError::NotOpen => tr.t("offer.refused.not_open").to_owned(),
        OfferError::Lapsed => tr.t("offer.refused.lapsed").to_owned(),
        OfferError::ConsentRequired => tr.t("offer.refused.consent").to_owned(),
        OfferError::CodeFormat => tr.t("offer.refused.code_format").to_owned(),
        OfferError::NoCode => tr.t("offer.refused.no_code").to_owned(),
        OfferError::CodeExpired => tr.t("offer.refused.code_expired").to_owned(),
        OfferError::CodeSpent => tr.t("offer.refused.code_spent").to_owned(),
        OfferError::WrongCode { tries_left: 0 } => tr.t("offer.refused.code_last").to_owned(),
        OfferError::WrongCode { tries_left } => tr.f(
            "offer.refused.code_wrong",
            [("tries", tries_left.to_string().as_str())],
        ),
        OfferError::TooManyCodes => tr.t("offer.refused.too_many_codes").to_owned(),
        OfferError::UnknownPayee => tr.t("offer.refused.payee").to_owned(),
        OfferError::Payment(refusal) => payment_refusal(tr, refusal),
        OfferError::NotAccepted => tr.t("offer.refused.not_accepted").to_owned(),
        OfferError::Invalid(input) => tr.error(input),
        OfferError::NoBook(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|part| {
                    let text =
                        crate::operators::describe::unpriced_short(tr, part.unpriced.as_ref());
                    tr.f(
                        "tariff_gap.part",
                        [
                            ("service", tr.service(&part.service).as_str()),
                            ("text", text.as_str()),
                        ],
                    )
                })
                .collect();
            tr.f(
                "offer.refused.no_book",
                [("parts", parts.join(" ").as_str())],
            )
        }
        OfferError::NotReady(reasons) => reasons.join(" "),
        OfferError::Db(_) | OfferError::Render(_) => tr.t("page_error.internal.text").to_owned(),
    }
}

/// Why a bank statement's upload or a line's assignment was refused, in the reader's words:
/// the same on the statements pages and in the API.
pub fn statement_refusal(tr: Tr, error: &StatementError) -> String {
    match error {
        StatementError::Coda(coda) => {
            let why = tr.t(&format!("statements.error.{}", coda.key())).to_owned();
            match coda.line() {
                Some(line) => tr.f(
                    "statements.error.at_line",
                    [("line", line.to_string().as_str()), ("why", why.as_str())],
                ),
                None => why,
            }
        }
        StatementError::OtherOrganisation => tr.t("statements.error.other_organisation").to_owned(),
        StatementError::TooLarge { max_mb } => tr.f(
            "statements.error.too_large",
            [("max", max_mb.to_string().as_str())],
        ),
        StatementError::UnknownReference => tr.t("statements.error.reference").to_owned(),
        StatementError::ChoosePayee => tr.t("statements.error.payee").to_owned(),
        StatementError::NotToAssign => tr.t("statements.error.not_to_assign").to_owned(),
        StatementError::Invalid(input) => tr.error(input),
        StatementError::Offer(offer) => offer_refusal(tr, offer),
        StatementError::Db(_) => tr.t("page_error.internal.text").to_owned(),
    }
}

/// Why a change of a crew is refused, in the reader's words: booked joint days stay honoured
/// (C-4, [`crew_rule`]); a name stays its crew's. `None` for what is no refusal (not found, a
/// database failure).
pub fn crew_refusal(tr: Tr, error: &CrewError) -> Option<String> {
    Some(match error {
        CrewError::CapacityBelowBookings { day, booked } => tr.f(
            "crews.refused.capacity",
            [
                ("day", day.as_str()),
                ("booked", booked.to_string().as_str()),
            ],
        ),
        CrewError::CommuneStillBooked { reference, day } => tr.f(
            "crews.refused.commune",
            [("reference", reference.as_str()), ("day", day.as_str())],
        ),
        CrewError::ComingJobs(jobs) => {
            let list: Vec<String> = jobs.iter().map(|(r, d)| format!("{r} ({d})")).collect();
            tr.f("crews.refused.coming", [("jobs", list.join(", ").as_str())])
        }
        CrewError::NameTaken(name) => tr.f("crews.name_taken", [("name", name.as_str())]),
        CrewError::NotFound | CrewError::Db(_) => return None,
    })
}

/// The rule a crew refusal applies: C-4 for the booked joint days.
pub fn crew_rule(error: &CrewError) -> Option<String> {
    match error {
        CrewError::NameTaken(_) => None,
        _ => Some("C-4".to_owned()),
    }
}
