//! Each operator's answer on the request page: its view (feasibility, prerequisites, lines,
//! the survey and the study) and the operator staff's changes to it.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::domain::assessment::AssessmentStatus;
use crate::domain::{AssessmentId, RequestId};
use crate::http::extract::IdPath;
use crate::web::{
    error::PageError,
    extract::{CsrfForm, Staff},
    views::{ServiceNames, local_date_in},
};
use crate::{
    domain::{
        Service,
        servicing::{EXCLUSIONS, ServicingStudy, StudyInput, exclusion_code},
        survey::{HOLDER_ROWS, HolderInput, SurveyInput, WaterSurvey},
    },
    http::refusal::adjust_refusal,
    i18n::Tr,
    services::{
        assess::{self, AdjustError, Adjustment, LineInput},
        case_file::StaffFile,
        operator_work,
    },
    state::AppState,
};

use super::{Notice, refused_on_detail, render_detail};

/// "Eau (SWDE)", "Proximus", "Électricité (ORES) — ORES électricité": the operator only when
/// the service's name does not already say it (never "VOO — VOO").
pub(super) fn assessment_heading(service: &str, operator: &str) -> String {
    if service.contains(operator) {
        service.to_owned()
    } else {
        format!("{service} — {operator}")
    }
}

/// One operator's answer as the page shows it, every label already translated.
pub struct AssessmentView {
    pub id: AssessmentId,
    /// The signed-in user's own organisation answered it: they may change it.
    pub editable: bool,
    /// Its lines may be corrected: by the operator, or by the case officer before the works
    /// are paid for.
    pub lines_editable: bool,
    pub heading: String,
    pub status: String,
    pub late: bool,
    pub due: String,
    pub version: i64,
    pub feasibility: Option<String>,
    /// Why the books gave the part no price (no tariff in force on its date, V-5).
    pub unpriced: Option<String>,
    pub reasons: Vec<String>,
    /// What is quoted separately and the texts the offer carries for this part.
    pub offer_notes: Vec<String>,
    pub note: Option<String>,
    /// Why the part is refused, each reason with its rule (B-4.4), translated.
    pub refusals: Vec<String>,
    pub prerequisites: Vec<PrerequisiteView>,
    pub crew: Option<String>,
    pub lead_time: Option<String>,
    pub lines: Vec<crate::web::estimate::LineView>,
    pub lines_total: String,
    /// ORES electricity's servicing study form, prefilled, on its own answer to a servicing.
    pub study: Option<StudyView>,
    /// SWDE's survey form, prefilled, on its own water answer.
    pub survey: Option<SurveyView>,
    /// The VAT regimes a line added here may take (code, label), as the applicant's VAT
    /// position allows.
    pub regimes: Vec<(&'static str, String)>,
}

/// SWDE's survey as the form shows it.
pub struct SurveyView {
    pub distance_to_main_m: String,
    pub inside_parcel_m: String,
    pub extension_m: String,
    pub pressure_installation: bool,
    /// Name, parcel, cost, months, day of payment; one row per form row.
    pub holders: Vec<[String; 5]>,
    /// After a refusal: the reason and conclusion as typed.
    pub reason: String,
    pub not_feasible: bool,
    /// After a refusal: each refused field (`survey_distance_to_main_m`, `survey_holder_2`,
    /// `text`…) with why, shown next to it.
    pub problems: Vec<(String, String)>,
}

impl SurveyView {
    /// Why `field` was refused, if it was.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, why)| why.as_str())
    }

    /// Why holder row `index` (from 1) was refused, if it was.
    pub fn row_err(&self, index: impl std::borrow::Borrow<usize>) -> Option<&str> {
        self.err(&format!("survey_holder_{}", index.borrow()))
    }

    /// The survey form again as typed, after a refusal (nothing was recorded).
    pub(super) fn typed(form: &AdjustForm, problems: Vec<(String, String)>) -> Self {
        fn at(values: &[String], i: usize) -> String {
            values.get(i).cloned().unwrap_or_default()
        }
        let rows = HOLDER_ROWS.max(form.holder_name.len());
        SurveyView {
            distance_to_main_m: form.distance_to_main_m.clone(),
            inside_parcel_m: form.inside_parcel_m.clone(),
            extension_m: form.extension_m.clone(),
            pressure_installation: !form.pressure_installation.is_empty(),
            holders: (0..rows)
                .map(|i| {
                    [
                        at(&form.holder_name, i),
                        at(&form.holder_parcel, i),
                        at(&form.holder_cost, i),
                        at(&form.holder_months, i),
                        at(&form.holder_paid_on, i),
                    ]
                })
                .collect(),
            reason: form.text.clone(),
            not_feasible: !form.not_feasible.is_empty(),
            problems,
        }
    }
}

pub(super) fn survey_view(stored: Option<&WaterSurvey>) -> SurveyView {
    let Some(survey) = stored else {
        return SurveyView {
            distance_to_main_m: String::new(),
            inside_parcel_m: String::new(),
            extension_m: String::new(),
            pressure_installation: false,
            holders: vec![Default::default(); HOLDER_ROWS],
            reason: String::new(),
            not_feasible: false,
            problems: Vec::new(),
        };
    };
    let mut holders: Vec<[String; 5]> = survey
        .holders
        .iter()
        .map(|h| {
            [
                h.holder.clone(),
                h.parcel.clone(),
                h.section_cost.amount().normalize().to_string(),
                if h.paid_on.is_some() {
                    String::new()
                } else {
                    h.months_since_payment.to_string()
                },
                h.paid_on.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    holders.resize(HOLDER_ROWS.max(holders.len()), Default::default());
    SurveyView {
        distance_to_main_m: survey.distance_to_main_m.to_string(),
        inside_parcel_m: survey.inside_parcel_m.to_string(),
        extension_m: survey
            .extension_m
            .map(|m| m.to_string())
            .unwrap_or_default(),
        pressure_installation: survey.pressure_installation,
        holders,
        reason: String::new(),
        not_feasible: false,
        problems: Vec::new(),
    }
}

/// The servicing study as the form shows it.
pub struct StudyView {
    /// Lots after the applicant's change (V-8.3); empty while unchanged.
    pub lots: String,
    pub points_outside: String,
    pub cabin_surface_m2: String,
    pub surcharge: String,
    /// Code, translated label, ticked.
    pub exclusions: Vec<(&'static str, String, bool)>,
    /// V-8.6: the land is under overhead lines.
    pub under_overhead_lines: bool,
}

pub(super) fn study_view(tr: Tr, stored: Option<&ServicingStudy>) -> StudyView {
    let default = ServicingStudy::default();
    let study = stored.unwrap_or(&default);
    StudyView {
        lots: study.parcels.map(|n| n.to_string()).unwrap_or_default(),
        points_outside: study.points_outside.to_string(),
        cabin_surface_m2: study
            .cabin_surface_m2
            .map(|m2| m2.normalize().to_string())
            .unwrap_or_default(),
        surcharge: study.special_demands_surcharge.normalize().to_string(),
        exclusions: EXCLUSIONS
            .into_iter()
            .map(|e| {
                let code = exclusion_code(e);
                (
                    code,
                    tr.keyed("tariff.separate", code),
                    study.excluded.contains(&e),
                )
            })
            .collect(),
        under_overhead_lines: study.under_overhead_lines,
    }
}

pub struct PrerequisiteView {
    pub code: String,
    pub label: String,
    pub who: String,
    pub deadline: String,
    pub rule: String,
    pub met: bool,
}

/// The assessments of the case file, every label translated: all of them for the
/// coordinator, only its own for an operator.
pub fn assessment_views(
    tr: Tr,
    service_names: &ServiceNames,
    file: &StaffFile,
) -> Vec<AssessmentView> {
    let request = &file.request;
    let mut views = Vec::new();
    for row in &file.assessments {
        let answer = row.answer.as_ref();
        let study = if row.own
            && row.status == AssessmentStatus::Answered
            && row.service == Service::Electricity.code()
            && request.servicing_operation.is_some()
        {
            Some(study_view(tr, request.servicing_study.as_ref()))
        } else {
            None
        };
        let survey = if row.own
            && row.status == AssessmentStatus::Answered
            && row.service == Service::Water.code()
        {
            Some(survey_view(request.water_survey.as_ref()))
        } else {
            None
        };
        views.push(AssessmentView {
            regimes: crate::operators::staff_line_regimes(&file.facts, &row.service)
                .into_iter()
                .map(|regime| (regime.code(), tr.keyed("tariff.vat", regime.code())))
                .collect(),
            study,
            survey,
            id: row.id,
            editable: row.own,
            lines_editable: row.lines_editable,
            heading: assessment_heading(&service_names.name(&row.service), &row.operator),
            status: tr.keyed("assessment.status", row.status),
            late: row.late,
            due: local_date_in(tr, row.due_at),
            version: row.version,
            feasibility: answer.map(|a| tr.keyed("assessment.feasibility", a.feasibility.code())),
            unpriced: answer.and_then(|a| {
                a.unpriced
                    .as_ref()
                    .map(|u| crate::operators::describe::unpriced_text(tr, u))
            }),
            reasons: answer
                .map(|a| {
                    a.reasons
                        .iter()
                        .map(|r| tr.keyed("assessment.reason", r))
                        .collect()
                })
                .unwrap_or_default(),
            offer_notes: answer
                .map(|a| crate::operators::describe::part_notes(tr, a))
                .unwrap_or_default(),
            note: answer.and_then(|a| a.note.clone()),
            refusals: answer
                .map(|a| a.refusals().iter().map(|r| r.text(tr)).collect())
                .unwrap_or_default(),
            prerequisites: answer
                .map(|a| {
                    a.prerequisites
                        .iter()
                        .map(|p| PrerequisiteView {
                            code: p.code.clone(),
                            label: crate::operators::describe::prerequisite_label(tr, p),
                            who: crate::operators::describe::party_label(tr, p.who),
                            deadline: deadline_label(tr, p.deadline),
                            rule: p.rule.clone(),
                            met: p.met,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            lines: answer
                .map(|a| {
                    a.lines
                        .iter()
                        .map(|l| crate::web::estimate::stored_line_view(tr, l))
                        .collect()
                })
                .unwrap_or_default(),
            lines_total: tr.money(
                answer
                    .map(|a| {
                        a.lines
                            .iter()
                            .map(|l| l.amount_excl_vat)
                            .sum::<rust_decimal::Decimal>()
                    })
                    .unwrap_or_default(),
            ),
            crew: answer.map(|a| {
                tr.f(
                    "assessment.crew_line",
                    [
                        ("skill", tr.keyed("skill", &a.crew.skill).as_str()),
                        ("hours", a.crew.hours.to_string().as_str()),
                    ],
                )
            }),
            lead_time: answer.map(|a| crate::operators::describe::lead_time_text(tr, a)),
        });
    }
    views
}

use crate::operators::describe::deadline_label;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AdjustForm {
    version: String,
    action: String,
    /// A prerequisite's code, or the rule a refusal names (B-4.4 when none).
    code: String,
    text: String,
    line: String,
    label: String,
    quantity: String,
    unit_price: String,
    vat: String,
    /// ORES' servicing study (action `servicing_study`).
    points_outside: String,
    cabin_surface_m2: String,
    surcharge: String,
    exclusions: Vec<String>,
    lots: String,
    /// V-8.6: a ticked box sends `on`.
    under_overhead_lines: String,
    /// SWDE's survey (action `water_survey`); holder fields repeat once per row.
    distance_to_main_m: String,
    inside_parcel_m: String,
    extension_m: String,
    pressure_installation: String,
    /// The survey concludes "not feasible" (B-5.1).
    not_feasible: String,
    holder_name: Vec<String>,
    holder_parcel: Vec<String>,
    holder_cost: Vec<String>,
    holder_months: Vec<String>,
    holder_paid_on: Vec<String>,
}

/// Operator staff change their own answer; a refusal says why and changes nothing.
pub(super) async fn adjust(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(assessment_id): IdPath<AssessmentId>,
    CsrfForm(form): CsrfForm<AdjustForm>,
) -> Result<Response, PageError> {
    let Some(request_id) =
        operator_work::request_for_change(&state, &staff.user, assessment_id).await?
    else {
        return Err(PageError::NotFound);
    };
    match form.action.as_str() {
        "servicing_study" => {
            return servicing_study(state, staff, request_id, assessment_id, &form).await;
        }
        "water_survey" => {
            return water_survey(state, staff, request_id, assessment_id, &form).await;
        }
        _ => {}
    }
    let outcome = match (
        form.version.trim().parse::<i64>(),
        Adjustment::parse(
            &form.action,
            &form.code,
            &form.text,
            &LineInput {
                line: &form.line,
                label: &form.label,
                quantity: &form.quantity,
                unit_price: &form.unit_price,
                vat: &form.vat,
            },
        ),
    ) {
        (Ok(version), Ok(change)) => assess::adjust(
            &state,
            &staff.user,
            assessment_id,
            version,
            &change,
            state.clock.now(),
        )
        .await
        .map(|_| ()),
        (Err(_), _) => Err(AdjustError::Stale),
        (_, Err(error)) => Err(error),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/backoffice/requests/{request_id}?saved=1#assessment-{assessment_id}"
        ))
        .into_response()),
        Err(AdjustError::NotFound) => Err(PageError::NotFound),
        Err(AdjustError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = adjust_refusal(staff.tr, &refused);
            refused_on_detail(&state, staff, request_id, text).await
        }
    }
}

/// A staff record's own fields, reason and version, or the refusal naming each faulty field
/// (labels under `labels`, e.g. `study.field`).
pub(super) fn staff_record<T>(
    tr: Tr,
    form: &AdjustForm,
    labels: &str,
    parsed: Result<T, Vec<(&'static str, crate::domain::InputError)>>,
) -> Result<(T, String, i64), String> {
    let reason = crate::domain::error::required_text(&form.text, assess::REASON_MAX);
    match (parsed, reason) {
        (Ok(value), Ok(reason)) => form
            .version
            .trim()
            .parse::<i64>()
            .map(|version| (value, reason, version))
            .map_err(|_| tr.t("adjust.stale").to_owned()),
        (parsed, reason) => {
            let mut problems: Vec<String> = parsed
                .err()
                .unwrap_or_default()
                .iter()
                .map(|(field, error)| format!("{} {}", tr.keyed(labels, field), tr.error(error)))
                .collect();
            if let Err(error) = reason {
                problems.push(format!("{} {}", tr.t("adjust.reason"), tr.error(&error)));
            }
            Err(problems.join(" "))
        }
    }
}

/// Back to the answer once recorded, or the request page saying why not. `invalid_label`
/// names the field a late check refuses.
pub(super) async fn after_staff_record(
    state: AppState,
    staff: Staff,
    request_id: RequestId,
    assessment_id: AssessmentId,
    outcome: Result<i64, AdjustError>,
    invalid_label: &str,
) -> Result<Response, PageError> {
    let tr = staff.tr;
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!(
            "/backoffice/requests/{request_id}?saved=1#assessment-{assessment_id}"
        ))
        .into_response()),
        Err(AdjustError::NotFound) => Err(PageError::NotFound),
        Err(AdjustError::Db(error)) => Err(error.into()),
        Err(AdjustError::Invalid(error)) => {
            let text = format!("{} {}", tr.t(invalid_label), tr.error(&error));
            refused_on_detail(&state, staff, request_id, text).await
        }
        Err(refused) => {
            let text = adjust_refusal(tr, &refused);
            refused_on_detail(&state, staff, request_id, text).await
        }
    }
}

/// ORES electricity records its servicing study; a refusal names each faulty field.
pub(super) async fn servicing_study(
    state: AppState,
    staff: Staff,
    request_id: RequestId,
    assessment_id: AssessmentId,
    form: &AdjustForm,
) -> Result<Response, PageError> {
    let parsed = ServicingStudy::parse(&StudyInput {
        points_outside: &form.points_outside,
        cabin_surface_m2: &form.cabin_surface_m2,
        surcharge: &form.surcharge,
        exclusions: &form.exclusions,
        parcels: &form.lots,
        under_overhead_lines: !form.under_overhead_lines.is_empty(),
    });
    let (study, reason, version) = match staff_record(staff.tr, form, "study.field", parsed) {
        Ok(parsed) => parsed,
        Err(text) => return refused_on_detail(&state, staff, request_id, text).await,
    };
    let outcome = assess::record_study(
        &state,
        &staff.user,
        assessment_id,
        version,
        &study,
        &reason,
        state.clock.now(),
    )
    .await;
    after_staff_record(
        state,
        staff,
        request_id,
        assessment_id,
        outcome,
        "study.field.study_parcels",
    )
    .await
}

/// SWDE records its survey; a refusal names each faulty field.
pub(super) async fn water_survey(
    state: AppState,
    staff: Staff,
    request_id: RequestId,
    assessment_id: AssessmentId,
    form: &AdjustForm,
) -> Result<Response, PageError> {
    pub(super) fn at(values: &[String], i: usize) -> &str {
        values.get(i).map_or("", String::as_str)
    }
    let holders = (0..HOLDER_ROWS)
        .map(|i| {
            let at = |values| at(values, i);
            HolderInput {
                name: at(&form.holder_name),
                parcel: at(&form.holder_parcel),
                cost: at(&form.holder_cost),
                months: at(&form.holder_months),
                paid_on: at(&form.holder_paid_on),
            }
        })
        .collect();
    let parsed = WaterSurvey::parse(&SurveyInput {
        distance_to_main_m: &form.distance_to_main_m,
        inside_parcel_m: &form.inside_parcel_m,
        extension_m: &form.extension_m,
        pressure_installation: !form.pressure_installation.is_empty(),
        holders,
    });
    let tr = staff.tr;
    // Each refused field, to mark it next to the value typed (the form keeps them all).
    let mut problems: Vec<(String, String)> = match &parsed {
        Err(errors) => errors
            .iter()
            .map(|(field, error)| ((*field).to_owned(), tr.error(error)))
            .collect(),
        Ok(_) => Vec::new(),
    };
    if let Err(error) = crate::domain::error::required_text(&form.text, assess::REASON_MAX) {
        problems.push(("text".to_owned(), tr.error(&error)));
    }
    let (survey, reason, version) = match staff_record(tr, form, "survey.field", parsed) {
        Ok(parsed) => parsed,
        Err(text) => {
            let typed = SurveyView::typed(form, problems);
            return refused_survey(&state, staff, request_id, assessment_id, text, typed).await;
        }
    };
    let conclusion = if form.not_feasible.is_empty() {
        assess::SurveyConclusion::Feasible
    } else {
        assess::SurveyConclusion::NotFeasible
    };
    let outcome = assess::record_survey(
        &state,
        &staff.user,
        assessment_id,
        version,
        &survey,
        conclusion,
        &reason,
        state.clock.now(),
    )
    .await;
    match outcome {
        Err(AdjustError::EngineRefused(refusals)) => {
            // B-5.1: the route inside the parcel is the field the rules refuse.
            let problems = refusals
                .iter()
                .filter(|r| {
                    matches!(&r.reason, crate::operators::refusal::RefusalReason::Keyed { key, .. }
                        if key == "tariff.refusal.water_inside_parcel")
                })
                .map(|r| ("survey_inside_parcel_m".to_owned(), r.reason_text(tr)))
                .collect();
            let text = adjust_refusal(tr, &AdjustError::EngineRefused(refusals));
            let typed = SurveyView::typed(form, problems);
            refused_survey(&state, staff, request_id, assessment_id, text, typed).await
        }
        Err(AdjustError::Invalid(error)) => {
            let text = format!("{} {}", tr.t("adjust.reason"), tr.error(&error));
            let typed = SurveyView::typed(form, vec![("text".to_owned(), tr.error(&error))]);
            refused_survey(&state, staff, request_id, assessment_id, text, typed).await
        }
        outcome => {
            after_staff_record(
                state,
                staff,
                request_id,
                assessment_id,
                outcome,
                "adjust.reason",
            )
            .await
        }
    }
}

/// The request page again after SWDE's survey was refused: the form as typed, each refused
/// field marked, and why at the top (nothing was recorded, B-4.4).
pub(super) async fn refused_survey(
    state: &AppState,
    staff: Staff,
    request_id: RequestId,
    assessment_id: AssessmentId,
    text: String,
    typed: SurveyView,
) -> Result<Response, PageError> {
    render_detail(
        state,
        staff,
        request_id,
        Some(Notice { error: true, text }),
        StatusCode::UNPROCESSABLE_ENTITY,
        |page| {
            if let Some(answer) = page
                .assessments
                .iter_mut()
                .find(|a| a.id == assessment_id && a.survey.is_some())
            {
                answer.survey = Some(typed);
            }
        },
    )
    .await
}
