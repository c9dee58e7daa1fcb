//! Operator staff's changes to their own answer (B-4, B-5, V-8.3): a prerequisite met, a
//! refusal with its rule and reason, a note, lines corrected or added and repriced, SWDE's
//! survey and ORES' servicing study — each a new version of the answer, checked against the
//! version the staff read.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::domain::AssessmentId;
use crate::domain::assessment::AssessmentStatus;
use crate::domain::tenancy::Role;
use crate::{
    db::{
        DbError, Tx,
        assessments::{self, AssessmentRow, NewVersion},
        requests::{self, NewEvent},
    },
    domain::{
        InputError, Service,
        servicing::{ServicingFacts, ServicingStudy},
        survey::WaterSurvey,
    },
    operators::{
        self,
        pricing::PricedLine,
        refusal::{self, Refusal},
    },
    state::AppState,
    tariff::{VatRegime, money, round_cents, servicing::Operation},
};

use super::{facts_of, facts_with_dossiers};

/// A change operator staff make to their own answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adjustment {
    /// A prerequisite is fulfilled (by its code).
    PrerequisiteMet(String),
    /// Not feasible: refused with a written reason under a rule (B-4.4).
    Refuse {
        rule: String,
        reason: String,
    },
    /// A note to the case officer, kept in the answer and the timeline.
    Note(String),
    /// A priced line corrected after the survey, with the reason.
    EditLine {
        index: usize,
        quantity: Decimal,
        unit_price: Decimal,
        reason: String,
    },
    /// A line the books do not price (extra work found on site), with the reason.
    AddLine {
        label: String,
        quantity: Decimal,
        unit_price: Decimal,
        regime: VatRegime,
        reason: String,
    },
    RemoveLine {
        index: usize,
        reason: String,
    },
}

/// The line fields of the adjustment form, as typed.
#[derive(Debug, Clone, Default)]
pub struct LineInput<'a> {
    pub line: &'a str,
    pub label: &'a str,
    pub quantity: &'a str,
    pub unit_price: &'a str,
    pub vat: &'a str,
}

/// A non-negative decimal typed with a comma or a point.
fn amount(raw: &str) -> Result<Decimal, AdjustError> {
    let value: Decimal = raw
        .trim()
        .replace(',', ".")
        .parse()
        .map_err(|_| AdjustError::Invalid(InputError::Number))?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(AdjustError::Negative);
    }
    Ok(value)
}

/// Largest quantity on a line staff edit or add: metres, pieces, or the euros a markup applies
/// to (B-5.2). With prices bounded like a book's, no amount leaves the decimal range.
pub const MAX_LINE_QUANTITY: u32 = 1_000_000;

/// A quantity or unit price typed on a line, at most `max`.
fn bounded(raw: &str, max: u32, field: &'static str) -> Result<Decimal, AdjustError> {
    let value = amount(raw)?;
    if value > Decimal::from(max) {
        return Err(AdjustError::TooLarge { field, max });
    }
    Ok(value)
}

fn quantity(raw: &str) -> Result<Decimal, AdjustError> {
    bounded(raw, MAX_LINE_QUANTITY, "quantity")
}

fn unit_price(raw: &str) -> Result<Decimal, AdjustError> {
    bounded(raw, crate::tariff::book::MAX_PRICE_EUR, "unit_price")
}

/// The code of a line staff added by hand: kept when the engine prices a part again.
pub const ADDED_LINE_CODE: &str = "ADJ";

/// Longest reason or note operator staff may write.
pub const REASON_MAX: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum AdjustError {
    #[error("no such assessment for this organisation")]
    NotFound,
    #[error("invalid input: {0}")]
    Invalid(InputError),
    #[error("unknown action")]
    UnknownAction,
    #[error("this prerequisite is not part of the answer")]
    UnknownPrerequisite,
    #[error("this line is not part of the answer")]
    UnknownLine,
    #[error("quantities and prices cannot be negative")]
    Negative,
    /// `field` is `quantity` or `unit_price`.
    #[error("the {field} of a line cannot be more than {max}")]
    TooLarge { field: &'static str, max: u32 },
    #[error("the answer has not been produced yet")]
    NotAnswered,
    #[error("the answer changed meanwhile")]
    Stale,
    #[error("this part prices no servicing of land")]
    NoServicing,
    #[error("only the water part takes a survey")]
    NoSurvey,
    #[error("the rules refuse the connection as measured")]
    EngineRefused(Vec<Refusal>),
    /// B-4.4: every refusal is in writing with its reasons.
    #[error("a refusal needs its written reason (rule B-4.4)")]
    RefusalWithoutReason,
    /// The part cannot be priced again: no book in force on its tariff date (V-5), say. Nothing
    /// is saved; the answer keeps its lines.
    #[error("the part cannot be priced")]
    Unpriced(operators::pricing::Unpriced),
    /// The applicant's VAT position does not allow this regime (reverse charge for a VAT
    /// filer only, 6% for a dwelling of 10 years or more, exempt once proved: B-4.1).
    #[error("the applicant's VAT position does not allow the {0:?} regime")]
    RegimeNotAllowed(VatRegime),
    #[error(transparent)]
    Db(DbError),
    #[error("stored answer is not readable: {0}")]
    Corrupt(String),
}

impl From<DbError> for AdjustError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => AdjustError::NotFound,
            DbError::Conflict(_) => AdjustError::Stale,
            other => AdjustError::Db(other),
        }
    }
}

impl Adjustment {
    /// Parses the form: `action` with its `code` (a prerequisite's, or the rule a refusal
    /// names: B-4.4 when none) or `text`.
    pub fn parse(
        action: &str,
        code: &str,
        text: &str,
        line: &LineInput<'_>,
    ) -> Result<Self, AdjustError> {
        let reason =
            || crate::domain::error::required_text(text, REASON_MAX).map_err(AdjustError::Invalid);
        let index = || {
            line.line
                .trim()
                .parse::<usize>()
                .map_err(|_| AdjustError::UnknownLine)
        };
        match action {
            "edit_line" => Ok(Adjustment::EditLine {
                index: index()?,
                quantity: quantity(line.quantity)?,
                unit_price: unit_price(line.unit_price)?,
                reason: reason()?,
            }),
            "add_line" => Ok(Adjustment::AddLine {
                label: crate::domain::error::required_text(line.label, 200)
                    .map_err(AdjustError::Invalid)?,
                quantity: quantity(line.quantity)?,
                unit_price: unit_price(line.unit_price)?,
                regime: match line.vat.trim() {
                    "" => VatRegime::Standard,
                    code => VatRegime::ALL
                        .into_iter()
                        .find(|regime| regime.code() == code && *regime != VatRegime::NotSubject)
                        .ok_or(AdjustError::Invalid(InputError::Choice))?,
                },
                reason: reason()?,
            }),
            "remove_line" => Ok(Adjustment::RemoveLine {
                index: index()?,
                reason: reason()?,
            }),
            "prerequisite_met" if !code.trim().is_empty() => {
                Ok(Adjustment::PrerequisiteMet(code.trim().to_owned()))
            }
            "prerequisite_met" => Err(AdjustError::UnknownPrerequisite),
            "refuse" => {
                let rule = match code.trim() {
                    "" => refusal::WRITTEN_REFUSAL_RULE,
                    rule => refusal::STAFF_RULES
                        .into_iter()
                        .find(|known| *known == rule)
                        .ok_or(AdjustError::Invalid(InputError::Choice))?,
                };
                let reason = match crate::domain::error::required_text(text, REASON_MAX) {
                    Err(InputError::Required) => return Err(AdjustError::RefusalWithoutReason),
                    other => other.map_err(AdjustError::Invalid)?,
                };
                Ok(Adjustment::Refuse {
                    rule: rule.to_owned(),
                    reason,
                })
            }
            "note" => Ok(Adjustment::Note(
                crate::domain::error::required_text(text, REASON_MAX)
                    .map_err(AdjustError::Invalid)?,
            )),
            _ => Err(AdjustError::UnknownAction),
        }
    }

    /// A change of the priced lines (which the case officer may make too).
    pub fn is_line_change(&self) -> bool {
        matches!(
            self,
            Adjustment::EditLine { .. }
                | Adjustment::AddLine { .. }
                | Adjustment::RemoveLine { .. }
        )
    }

    fn event_kind(&self) -> &'static str {
        match self {
            Adjustment::PrerequisiteMet(_) => "prerequisite_met",
            Adjustment::Refuse { .. } => "operator_refused",
            Adjustment::Note(_) => "operator_note",
            Adjustment::EditLine { .. }
            | Adjustment::AddLine { .. }
            | Adjustment::RemoveLine { .. } => "operator_lines_changed",
        }
    }

    /// Applies the change to an answer, refusing what does not fit it.
    pub fn apply(&self, answer: &mut operators::Assessment) -> Result<(), AdjustError> {
        match self {
            Adjustment::PrerequisiteMet(code) => {
                let prerequisite = answer
                    .prerequisites
                    .iter_mut()
                    .find(|p| &p.code == code)
                    .ok_or(AdjustError::UnknownPrerequisite)?;
                prerequisite.met = true;
            }
            Adjustment::Refuse { rule, reason } => {
                answer.feasibility = operators::Feasibility::Refused;
                answer.note = Some(reason.clone());
                answer.refusals = vec![Refusal::written(rule, reason)];
            }
            Adjustment::Note(note) => answer.note = Some(note.clone()),
            Adjustment::EditLine {
                index,
                quantity,
                unit_price,
                ..
            } => {
                let line = answer
                    .lines
                    .get_mut(*index)
                    .ok_or(AdjustError::UnknownLine)?;
                line.quantity = *quantity;
                line.unit_price = *unit_price;
                reprice(line)?;
            }
            Adjustment::AddLine {
                label,
                quantity,
                unit_price,
                regime,
                ..
            } => {
                let book_version = answer
                    .lines
                    .first()
                    .map(|l| l.book_version.clone())
                    .unwrap_or_default();
                let mut line = PricedLine::charge(
                    ADDED_LINE_CODE.to_owned(),
                    "assessment.custom_line".to_owned(),
                    [("label".to_owned(), label.clone())].into(),
                    *quantity,
                    "piece".to_owned(),
                    *unit_price,
                    regime.code().to_owned(),
                    regime.rate(),
                    // A change of the offer is priced when it is made (V-8.3).
                    "V-8.3".to_owned(),
                    book_version,
                );
                reprice(&mut line)?;
                answer.lines.push(line);
            }
            Adjustment::RemoveLine { index, .. } => {
                if *index >= answer.lines.len() {
                    return Err(AdjustError::UnknownLine);
                }
                answer.lines.remove(*index);
            }
        }
        Ok(())
    }
}

/// Amount and VAT of a changed line, each rounded to the cent half away from zero. Checked:
/// a stored line outside the bounds of the form is refused rather than overflowing.
fn reprice(line: &mut PricedLine) -> Result<(), AdjustError> {
    let amount = money::mul(line.quantity, line.unit_price).map(round_cents);
    let vat = amount.and_then(|amount| money::percent_of(amount, line.vat_rate).map(round_cents));
    match (amount, vat) {
        (Ok(amount), Ok(vat)) => {
            line.amount_excl_vat = amount;
            line.vat_amount = vat;
            Ok(())
        }
        _ => Err(AdjustError::TooLarge {
            field: "quantity",
            max: MAX_LINE_QUANTITY,
        }),
    }
}

/// Records a staff change as a new version of their own answer, with the timeline event.
/// `expected_version` is the version the staff member saw: a change made meanwhile by
/// somebody else is refused rather than overwritten.
pub async fn adjust(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    assessment_id: AssessmentId,
    expected_version: i64,
    change: &Adjustment,
    now: DateTime<Utc>,
) -> Result<i64, AdjustError> {
    let db = &state.db;
    let mut tx = db.begin_write().await?;
    let (row, answer) =
        match assessments::own_for_change(&mut tx, &user.scope(), assessment_id).await {
            Ok(found) => found,
            // The case officer corrects lines of any operator before the offer goes out; the
            // operator's own decisions (prerequisites, refusal) stay the operator's.
            Err(DbError::NotFound) if change.is_line_change() && user.role == Role::CaseOfficer => {
                assessments::coordinated_for_change(&mut tx, &user.scope(), assessment_id).await?
            }
            Err(other) => return Err(other.into()),
        };
    if row.status != AssessmentStatus::Answered {
        return Err(AdjustError::NotAnswered);
    }
    if row.version != expected_version {
        return Err(AdjustError::Stale);
    }
    if let Adjustment::AddLine { regime, .. } = change {
        let request = requests::get_for_worker(&mut tx, row.request_id).await?;
        let facts = facts_with_dossiers(&mut tx, &request)
            .await
            .map_err(|e| AdjustError::Corrupt(e.to_string()))?;
        if !operators::staff_line_regimes(&facts, &row.service).contains(regime) {
            return Err(AdjustError::RegimeNotAllowed(*regime));
        }
    }
    let mut answer = answered(answer)?;
    change.apply(&mut answer)?;
    let reason = match change {
        Adjustment::PrerequisiteMet(code) => code.as_str(),
        Adjustment::Refuse { reason: text, .. } | Adjustment::Note(text) => text.as_str(),
        Adjustment::EditLine { reason, .. }
        | Adjustment::AddLine { reason, .. }
        | Adjustment::RemoveLine { reason, .. } => reason.as_str(),
    };
    let version = record_staff_change(
        &mut tx,
        &row,
        user,
        &answer,
        change.event_kind(),
        reason,
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(version)
}

/// The caller's own answered answer of `service`, as the version they saw; `wrong` when it is
/// another service's.
async fn open_own_answer(
    tx: &mut Tx,
    user: &crate::db::sessions::SessionUser,
    assessment_id: AssessmentId,
    expected_version: i64,
    service: Service,
    wrong: AdjustError,
) -> Result<(AssessmentRow, Option<operators::Assessment>), AdjustError> {
    let (row, answer) = assessments::own_for_change(tx, &user.scope(), assessment_id).await?;
    if row.service != service.code() {
        return Err(wrong);
    }
    if row.status != AssessmentStatus::Answered {
        return Err(AdjustError::NotAnswered);
    }
    if row.version != expected_version {
        return Err(AdjustError::Stale);
    }
    Ok((row, answer))
}

/// The stored answer of an assessment found answered: it has one, or the row is corrupt.
fn answered(answer: Option<operators::Assessment>) -> Result<operators::Assessment, AdjustError> {
    answer.ok_or_else(|| AdjustError::Corrupt("an answered assessment without its answer".into()))
}

/// SWDE records its survey (B-5.1): the water part is priced from the measured route, with
/// the extension beyond 50 m (B-4.2, B-11) and the quote-parts of earlier holders (B-10); the
/// lines staff added by hand stay. The survey prerequisite is met with it.
///
/// A survey may conclude "not feasible" (B-5.1, `conclusion`): the part is then refused in
/// writing (B-4.4) with the rules' reasons for the route measured, or else with SWDE's
/// written `reason` under B-5.1. Without that conclusion, a route the rules refuse is not
/// recorded: the refusal says why, so a mistyped length is not taken for a refusal.
#[allow(clippy::too_many_arguments)]
pub async fn record_survey(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    assessment_id: AssessmentId,
    expected_version: i64,
    survey: &WaterSurvey,
    conclusion: SurveyConclusion,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, AdjustError> {
    let db = &state.db;
    let tariffs = &*crate::services::books::current(state).await?;
    let mut tx = db.begin_write().await?;
    let (row, answer) = open_own_answer(
        &mut tx,
        user,
        assessment_id,
        expected_version,
        Service::Water,
        AdjustError::NoSurvey,
    )
    .await?;
    let mut request = requests::get_for_worker(&mut tx, row.request_id).await?;
    let json = serde_json::to_string(survey).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    requests::set_water_survey(&mut tx, request.id, &json).await?;
    request.water_survey = Some(survey.clone());
    let mut facts = facts_of(&request).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    // The shares as of today; the offer computes them again on its own date (B-10).
    if let Some(survey) = facts.water_survey.as_mut() {
        survey.shares_on(crate::clock::day_of(now));
    }
    let part = operators::pricing::price_part(tariffs, Service::Water, &facts, &request.postcode)
        .map_err(|e| AdjustError::Unpriced(operators::pricing::Unpriced::of(tariffs, &e)))?;
    // What the rules refuse is SWDE's written refusal to make, not a silent empty price.
    if !part.refusals.is_empty() && conclusion == SurveyConclusion::Feasible {
        return Err(AdjustError::EngineRefused(part.refusals));
    }
    let mut answer = answered(answer)?;
    let by_hand: Vec<PricedLine> = answer
        .lines
        .drain(..)
        .filter(|line| line.code == ADDED_LINE_CODE)
        .collect();
    answer.lines = part.lines.into_iter().chain(by_hand).collect();
    answer.separately_quoted = part.separately_quoted;
    answer.mentions = part.mentions;
    // The survey settles the distance (B-4.2): an extension comes first, said in writing.
    answer
        .reasons
        .retain(|r| r != "distance_to_main_to_survey" && r != "water_extension_needed");
    if survey.needs_extension() {
        answer.reasons.push("water_extension_needed".to_owned());
        if answer.feasibility == operators::Feasibility::Feasible {
            answer.feasibility = operators::Feasibility::FeasibleWithExtension;
        }
    } else if answer.feasibility == operators::Feasibility::FeasibleWithExtension {
        answer.feasibility = operators::Feasibility::Feasible;
    }
    // What the survey found may change what SWDE asks (B-5.2: the new-dwelling subsidy of an
    // extension is proved by the building permit): asked afresh, what was met stays met.
    let mut asked = operators::module_for(Service::Water)
        .assess(&facts)
        .prerequisites;
    for prerequisite in &mut asked {
        prerequisite.met = answer
            .prerequisites
            .iter()
            .any(|p| p.code == prerequisite.code && p.met);
    }
    answer.prerequisites = asked;
    if let Some(done) = answer.prerequisites.iter_mut().find(|p| p.code == "survey") {
        done.met = true;
    }
    let kind = match conclusion {
        SurveyConclusion::Feasible => "water_survey",
        SurveyConclusion::NotFeasible => {
            answer.feasibility = operators::Feasibility::Refused;
            answer.note = Some(reason.to_owned());
            answer.refusals = if part.refusals.is_empty() {
                vec![Refusal::written("B-5.1", reason)]
            } else {
                part.refusals
            };
            "operator_refused"
        }
    };
    let version = record_staff_change(&mut tx, &row, user, &answer, kind, reason, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(version)
}

/// What SWDE's survey concludes (B-5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyConclusion {
    Feasible,
    /// Not feasible, in writing: the water part is refused.
    NotFeasible,
}

/// The study with the applicant's change of lots checked (V-2.1, V-4.1c) and dated: a new lot
/// count is a modification priced at the tariffs in force that day (V-8.3); the same count as
/// filed is no change; an unchanged count keeps the date of the earlier change.
fn dated_change(
    filed: &ServicingFacts,
    study: &ServicingStudy,
    today: chrono::NaiveDate,
) -> Result<ServicingStudy, AdjustError> {
    let mut study = study.clone();
    study.parcels = study.parcels.filter(|n| *n != filed.parcels);
    study.modified_on = match study.parcels {
        None => None,
        Some(n) => {
            let divided = matches!(filed.operation, Operation::Division | Operation::Donation);
            if divided && n < 2 {
                return Err(AdjustError::Invalid(InputError::ServicingParcels));
            }
            if filed.planned_frontages.len() > n as usize {
                return Err(AdjustError::Invalid(InputError::PlannedFrontagesTooMany {
                    parcels: n,
                }));
            }
            if filed.study.parcels == Some(n) {
                filed.study.modified_on.or(Some(today))
            } else {
                Some(today)
            }
        }
    };
    Ok(study)
}

/// A staff member's new version of an answer and its line in the timeline.
async fn record_staff_change(
    tx: &mut Tx,
    row: &AssessmentRow,
    user: &crate::db::sessions::SessionUser,
    answer: &operators::Assessment,
    kind: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, AdjustError> {
    let body = serde_json::to_string(answer).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    let version = assessments::record_version(
        tx,
        row.id,
        row.version,
        &NewVersion {
            feasibility: answer.feasibility.code(),
            body: &body,
            actor_kind: if user.api_key.is_some() {
                "api_key"
            } else {
                "staff"
            },
            actor_id: Some(user.user_id),
            reason: Some(reason),
        },
        now,
    )
    .await?;
    requests::insert_event(
        tx,
        &NewEvent::staff_note(row.request_id, now, kind, user, Some(reason)),
    )
    .await?;
    Ok(version)
}

/// ORES electricity records its study of a servicing (V-9.2 PFext and cabin surface, V-4.2
/// surcharge, V-4.1d exclusions): the servicing lines are priced again with it, the other
/// lines stay as they are, in a new version of its answer.
#[allow(clippy::too_many_arguments)]
pub async fn record_study(
    state: &AppState,
    user: &crate::db::sessions::SessionUser,
    assessment_id: AssessmentId,
    expected_version: i64,
    study: &ServicingStudy,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, AdjustError> {
    let db = &state.db;
    let tariffs = &*crate::services::books::current(state).await?;
    let mut tx = db.begin_write().await?;
    let (row, answer) = open_own_answer(
        &mut tx,
        user,
        assessment_id,
        expected_version,
        Service::Electricity,
        AdjustError::NoServicing,
    )
    .await?;
    let request = requests::get_for_worker(&mut tx, row.request_id).await?;
    let mut facts = facts_with_dossiers(&mut tx, &request)
        .await
        .map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    let servicing = facts.servicing.as_mut().ok_or(AdjustError::NoServicing)?;
    servicing.study = dated_change(servicing, study, crate::clock::day_of(now))?;
    let json =
        serde_json::to_string(&servicing.study).map_err(|e| AdjustError::Corrupt(e.to_string()))?;
    requests::set_servicing_study(&mut tx, request.id, &json).await?;
    let part =
        operators::pricing::price_part(tariffs, Service::Electricity, &facts, &request.postcode)
            .map_err(|e| AdjustError::Unpriced(operators::pricing::Unpriced::of(tariffs, &e)))?;
    let mut answer = answered(answer)?;
    // The servicing document is priced anew; the connection's lines keep staff's changes.
    let kept: Vec<PricedLine> = answer
        .lines
        .drain(..)
        .filter(|line| !line.code.starts_with("V-"))
        .collect();
    answer.lines = part
        .lines
        .into_iter()
        .filter(|line| line.code.starts_with("V-"))
        .chain(kept)
        .collect();
    answer.separately_quoted = part.separately_quoted;
    answer.mentions = part.mentions;
    // V-8.6: land under overhead lines takes six months more; the study says so.
    answer.lead_time = operators::module_for(Service::Electricity)
        .assess(&facts)
        .lead_time;
    let version =
        record_staff_change(&mut tx, &row, user, &answer, "servicing_study", reason, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::Service,
        operators::{RequestFacts, module_for},
        tariff::Tariffs,
    };

    #[test]
    fn v_8_3_a_change_of_lots_is_dated_once_and_checked() {
        use crate::domain::servicing::ServicingInput;
        let mut filed = ServicingFacts::parse(&ServicingInput {
            operation: "division",
            frontage_m: "120",
            parcels: "6",
            ..ServicingInput::default()
        })
        .unwrap();
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2027, 3, d).unwrap();
        let lots = |n: Option<u32>| ServicingStudy {
            parcels: n,
            ..ServicingStudy::default()
        };
        // The lots of the request are no change.
        let same = dated_change(&filed, &lots(Some(6)), day(1)).unwrap();
        assert_eq!((same.parcels, same.modified_on), (None, None));
        let changed = dated_change(&filed, &lots(Some(8)), day(1)).unwrap();
        assert_eq!(
            (changed.parcels, changed.modified_on),
            (Some(8), Some(day(1)))
        );
        // Saving the study again later keeps the day of the change; a new count is a new change.
        filed.study = changed;
        let again = dated_change(&filed, &lots(Some(8)), day(9)).unwrap();
        assert_eq!(again.modified_on, Some(day(1)));
        let more = dated_change(&filed, &lots(Some(10)), day(9)).unwrap();
        assert_eq!(more.modified_on, Some(day(9)));
        // V-2.1: a division keeps at least two lots.
        assert!(matches!(
            dated_change(&filed, &lots(Some(1)), day(9)),
            Err(AdjustError::Invalid(InputError::ServicingParcels))
        ));
    }

    fn water_answer() -> operators::Assessment {
        let facts = RequestFacts {
            electricity_band: None,
            ..crate::operators::tests::facts()
        };
        module_for(Service::Water).assess(&facts)
    }

    #[test]
    fn b_4_4_a_refusal_needs_a_written_reason_and_keeps_its_rule() {
        assert!(matches!(
            Adjustment::parse("refuse", "", "   ", &LineInput::default()),
            Err(AdjustError::RefusalWithoutReason)
        ));
        // Only a rule that may refuse a part is named; none is the refusal in writing (B-4.4).
        assert!(matches!(
            Adjustment::parse("refuse", "Z-9", "Motif", &LineInput::default()),
            Err(AdjustError::Invalid(InputError::Choice))
        ));
        let refusal =
            Adjustment::parse("refuse", "", "Conduite à 80 m", &LineInput::default()).unwrap();
        let mut answer = water_answer();
        refusal.apply(&mut answer).unwrap();
        assert_eq!(answer.feasibility, operators::Feasibility::Refused);
        assert_eq!(answer.note.as_deref(), Some("Conduite à 80 m"));
        assert_eq!(
            answer.refusals(),
            [Refusal::written("B-4.4", "Conduite à 80 m")]
        );
        Adjustment::parse("refuse", "B-4.1", "Titre illisible", &LineInput::default())
            .unwrap()
            .apply(&mut answer)
            .unwrap();
        assert_eq!(
            answer.refusals(),
            [Refusal::written("B-4.1", "Titre illisible")]
        );
    }

    #[test]
    fn b_4_4_an_answer_refused_before_rules_were_kept_reads_as_a_written_refusal() {
        let mut stored = serde_json::to_value(water_answer()).unwrap();
        stored["feasibility"] = "refused".into();
        stored["note"] = "Conduite à 80 m".into();
        let answer: operators::Assessment = serde_json::from_value(stored).unwrap();
        assert_eq!(
            answer.refusals(),
            [Refusal::written("B-4.4", "Conduite à 80 m")]
        );
        assert!(water_answer().refusals().is_empty());
    }

    #[test]
    fn only_a_prerequisite_of_the_answer_can_be_met() {
        let mut answer = water_answer();
        let unknown = Adjustment::parse(
            "prerequisite_met",
            "situation_plan",
            "",
            &LineInput::default(),
        )
        .unwrap();
        assert!(matches!(
            unknown.apply(&mut answer),
            Err(AdjustError::UnknownPrerequisite)
        ));
        Adjustment::parse("prerequisite_met", "certibeau", "", &LineInput::default())
            .unwrap()
            .apply(&mut answer)
            .unwrap();
        assert!(
            answer
                .prerequisites
                .iter()
                .any(|p| p.code == "certibeau" && p.met)
        );
        assert!(matches!(
            Adjustment::parse("delete_everything", "", "", &LineInput::default()),
            Err(AdjustError::UnknownAction)
        ));
    }

    #[test]
    fn overlong_notes_are_refused() {
        let long = "x".repeat(REASON_MAX + 1);
        assert!(matches!(
            Adjustment::parse("note", "", &long, &LineInput::default()),
            Err(AdjustError::Invalid(InputError::TooLong { .. }))
        ));
    }

    fn priced_water() -> operators::Assessment {
        let mut answer = water_answer();
        let facts = RequestFacts {
            electricity_band: None,
            ..crate::operators::tests::facts()
        };
        answer.lines =
            operators::pricing::price(Tariffs::embedded(), Service::Water, &facts, "5000").unwrap();
        answer
    }

    fn line_input<'a>(line: &'a str, quantity: &'a str, unit_price: &'a str) -> LineInput<'a> {
        LineInput {
            line,
            label: "Traversée de trottoir",
            quantity,
            unit_price,
            vat: "standard",
        }
    }

    #[test]
    fn b_5_5_a_corrected_line_is_repriced_to_the_cent_with_its_vat() {
        let mut answer = priced_water();
        let change = Adjustment::parse(
            "edit_line",
            "",
            "Métré : 3,5 m de plus",
            &line_input("0", "3", "16,665"),
        )
        .unwrap();
        change.apply(&mut answer).unwrap();
        let line = &answer.lines[0];
        // 3 × 16.665 = 49.995 → 50.00; VAT 21 % of 50.00 = 10.50.
        assert_eq!(line.amount_excl_vat, Decimal::new(5000, 2));
        assert_eq!(line.vat_amount, Decimal::new(1050, 2));
    }

    #[test]
    fn lines_refuse_quantities_and_prices_beyond_their_bounds() {
        assert!(matches!(
            Adjustment::parse(
                "edit_line",
                "",
                "Motif",
                &line_input("0", "1", "79228162514264337593543950335")
            ),
            Err(AdjustError::TooLarge {
                field: "unit_price",
                max: 10_000_000
            })
        ));
        assert!(matches!(
            Adjustment::parse("add_line", "", "Motif", &line_input("", "1000000.01", "10")),
            Err(AdjustError::TooLarge {
                field: "quantity",
                max: 1_000_000
            })
        ));
        // At the bounds a line is priced: 1,000,000 × 10,000,000 € and its VAT.
        let mut answer = priced_water();
        Adjustment::parse(
            "edit_line",
            "",
            "Motif",
            &line_input("0", "1000000", "10000000"),
        )
        .unwrap()
        .apply(&mut answer)
        .unwrap();
        assert_eq!(
            answer.lines[0].amount_excl_vat,
            Decimal::from(10_000_000_000_000u64)
        );
    }

    #[test]
    fn lines_refuse_negative_amounts_missing_reasons_and_unknown_lines() {
        assert!(matches!(
            Adjustment::parse("edit_line", "", "Motif", &line_input("0", "-1", "10")),
            Err(AdjustError::Negative)
        ));
        assert!(matches!(
            Adjustment::parse("add_line", "", " ", &line_input("", "1", "10")),
            Err(AdjustError::Invalid(InputError::Required))
        ));
        assert!(matches!(
            Adjustment::parse("edit_line", "", "Motif", &line_input("x", "1", "10")),
            Err(AdjustError::UnknownLine)
        ));
        let mut answer = priced_water();
        let count = answer.lines.len();
        let beyond = Adjustment::parse(
            "remove_line",
            "",
            "Motif",
            &line_input(&count.to_string(), "", ""),
        )
        .unwrap();
        assert!(matches!(
            beyond.apply(&mut answer),
            Err(AdjustError::UnknownLine)
        ));
        assert_eq!(answer.lines.len(), count, "nothing changed");
    }

    #[test]
    fn v_8_3_an_added_line_is_priced_now_and_says_so() {
        let mut answer = priced_water();
        Adjustment::parse(
            "add_line",
            "",
            "Trottoir en pavés",
            &line_input("", "2", "75"),
        )
        .unwrap()
        .apply(&mut answer)
        .unwrap();
        let added = answer.lines.last().unwrap();
        assert_eq!(added.rule, "V-8.3");
        assert_eq!(added.amount_excl_vat, Decimal::from(150));
        assert_eq!(added.vat_amount, Decimal::new(3150, 2));
        assert_eq!(added.args["label"], "Traversée de trottoir");
    }
}
