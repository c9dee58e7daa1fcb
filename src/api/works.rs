//! The request's way to its works in JSON: the joint day, the road-works permit and the
//! offers with their payments (for the request detail), an offer's whole document, a
//! commune's permits and the nuisance figures. Scoped like the pages that show them.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ErrorResponse, JsonQuery, doc};
use crate::domain::tenancy::OrganisationKind;
use crate::domain::{DueId, PermitId, RequestId};
use crate::{
    domain::nuisance::{Figures, Report},
    http::{
        error::ApiError,
        extract::Staff,
        query::{FiguresQuery, period},
    },
    services::{
        self, DbError,
        case_file::{StaffCaseFile, StaffJointDay},
        commune::{self, PermitListRow},
    },
    state::AppState,
};

/// The reserved joint day (rule C-4).
#[derive(Serialize, ToSchema)]
#[schema(as = JointDay)]
pub struct JointDayJson {
    #[schema(format = Date)]
    day: String,
    /// Confirmed to the applicant (payments and permit in order).
    confirmed: bool,
    crews: Vec<CrewJson>,
}

/// A crew booked on the joint day.
#[derive(Serialize, ToSchema)]
#[schema(as = Crew)]
struct CrewJson {
    service: String,
    crew: String,
    /// When the crew's works were recorded as done.
    works_done_at: Option<String>,
}

/// The reserved joint day; operators see their own crew only, like on their page.
pub fn joint_day(file: &StaffCaseFile) -> Option<JointDayJson> {
    let StaffJointDay::Reserved {
        day,
        crews,
        confirmed,
        ..
    } = &file.joint_day
    else {
        return None;
    };
    Some(JointDayJson {
        day: day.to_string(),
        confirmed: *confirmed,
        crews: crews
            .iter()
            .map(|r| CrewJson {
                service: r.service.clone(),
                crew: r.crew.clone(),
                works_done_at: r.done_at.clone(),
            })
            .collect(),
    })
}

/// The joint road-works permit (rule C-6).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Permit)]
pub struct PermitJson {
    /// The permit's id.
    #[schema(value_type = String, format = Uuid)]
    pub(super) id: PermitId,
    /// `pending`, `information_requested`, `approved`, `approved_with_conditions`, `refused`,
    /// `cancelled` or `offline`.
    #[schema(schema_with = doc::permit_status)]
    pub(super) status: String,
    /// The joint works day.
    #[schema(format = Date)]
    pub(super) day: String,
    /// When the permit was requested (RFC 3339).
    pub(super) requested_at: String,
    /// The last day of the commune's 45 days to decide (C-6).
    #[schema(format = Date)]
    pub(super) due_on: String,
    /// The conditions, the question or the reason of the refusal, as written.
    pub(super) decision_text: Option<String>,
    /// When the last decision was made.
    pub(super) decided_at: Option<String>,
}

/// The joint road-works permit of the request (coordinator only).
pub fn permit(file: &StaffCaseFile) -> Option<PermitJson> {
    file.permit.as_ref().map(|p| PermitJson {
        id: p.id,
        status: p.status.to_string(),
        day: p.day.to_string(),
        requested_at: super::timestamp(p.requested_at),
        due_on: p.due_on.to_string(),
        decision_text: p.decision_text.clone(),
        decided_at: p.decided_at.map(super::timestamp),
    })
}

/// One version of the consolidated offer.
#[derive(Serialize, ToSchema)]
#[schema(as = Offer)]
pub struct OfferJson {
    version: i64,
    #[schema(schema_with = doc::offer_status)]
    status: String,
    language: String,
    sent_at: String,
    #[schema(format = Date)]
    valid_until: String,
    accepted_at: Option<String>,
    accepted_by: Option<String>,
    supersedes_reason: Option<String>,
    total_excl_vat: Decimal,
    total_vat: Decimal,
    total_incl_vat: Decimal,
    /// Each document of the version (V-8: the servicing of land is a document of its own): an
    /// offer to accept, or an invoice due without prior offer (V-2.3, V-7).
    documents: Vec<DocumentJson>,
    /// Who pays whom under this version, what was paid and what is still due. The applicant
    /// pays each operator document, and each earlier holder of a water extension its
    /// quote-part directly (B-10); the operator pays the applicant the cabin lease fee at the
    /// deed (V-9.2). Nothing is netted.
    payees: Vec<PayeeJson>,
    /// Path of the whole document in this API.
    document: String,
    /// Path of the PDF as sent.
    pdf: String,
}

/// One document of an offer version.
#[derive(Serialize, ToSchema)]
#[schema(as = OfferPart)]
struct DocumentJson {
    /// `offer` or `invoice` (V-2.3, V-7: servicing invoiced without prior offer).
    #[schema(schema_with = doc::document_class)]
    kind: &'static str,
    #[schema(schema_with = doc::document_scope)]
    scope: &'static str,
    operator: String,
    services: Vec<String>,
    /// Sum of the document's lines, euros.
    total_excl_vat: Decimal,
    /// VAT per rate on the document's sum (V-6, B-5.2).
    total_vat: Decimal,
    /// What the applicant pays the operator for this document.
    total_incl_vat: Decimal,
    /// Who the applicant pays for it; null when nothing is due (0 €).
    payee: Option<String>,
}

/// Who pays whom, what was paid and what is still due.
#[derive(Serialize, ToSchema)]
#[schema(as = Payee)]
struct PayeeJson {
    /// The due's id: `payee` of a payment registered against it. A UUID, or for a due of an
    /// offer sent before dues were recorded one by one, `<offer id>-<organisation id>`.
    #[schema(value_type = String)]
    id: DueId,
    /// `applicant_to_operator`, `applicant_to_holder` (B-10) or `operator_to_applicant` (V-9.2).
    #[schema(schema_with = doc::direction)]
    direction: &'static str,
    /// Who pays.
    payer: String,
    /// Who receives.
    payee: String,
    #[schema(schema_with = doc::document_class)]
    document: &'static str,
    #[schema(schema_with = doc::document_scope)]
    scope: &'static str,
    /// Amount due, euros, VAT included.
    amount: String,
    iban: Option<String>,
    bic: Option<String>,
    /// `+++ddd/dddd/ddddd+++` for an operator; null for a holder or a credit.
    structured_communication: Option<String>,
    /// `before_works`, `after_works` (a commune's servicing, V-8.2.1) or `at_deed` (the lease
    /// fee, V-9.2).
    #[schema(schema_with = doc::due_when)]
    due: &'static str,
    pays_after_works: bool,
    rule: String,
    /// A quote-part's formula with its figures (B-10), a credit's label.
    detail: Option<String>,
    payments: Vec<PaymentJson>,
    /// Sum of the payments recorded.
    paid: String,
    /// Still due.
    outstanding: String,
    /// Paid beyond the amount due, to refund.
    refund: String,
    /// The day of the payment that completed it.
    #[schema(format = Date)]
    paid_at: Option<String>,
}

/// A payment recorded.
#[derive(Serialize, ToSchema)]
#[schema(as = Payment)]
struct PaymentJson {
    amount: String,
    #[schema(format = Date)]
    paid_on: String,
}

/// An amount in euros with its two decimals, as every amount of the API is written.
fn cents(amount: Decimal) -> String {
    let mut amount = amount;
    amount.rescale(2);
    amount.to_string()
}

fn payee_json(applicant: &str, due: &services::offers::Due) -> PayeeJson {
    use crate::domain::dues::{Direction, DueWhen};
    let (payer, payee) = match due.direction {
        Direction::OperatorToApplicant => (due.party.clone(), applicant.to_owned()),
        _ => (applicant.to_owned(), due.party.clone()),
    };
    PayeeJson {
        id: due.id,
        direction: due.direction.code(),
        payer,
        payee,
        document: due.document.code(),
        scope: due.scope.code(),
        amount: cents(due.amount),
        iban: due.iban.clone(),
        bic: due.bic.clone(),
        structured_communication: due.structured_communication.clone(),
        due: due.when.code(),
        pays_after_works: due.when == DueWhen::AfterWorks,
        rule: due.rule.clone(),
        detail: due.detail.clone(),
        payments: due
            .payments
            .iter()
            .map(|p| PaymentJson {
                amount: cents(p.amount),
                paid_on: p.on.to_string(),
            })
            .collect(),
        paid: cents(due.standing.paid),
        outstanding: cents(due.standing.outstanding),
        refund: cents(due.standing.refund),
        paid_at: due.standing.settled_on.map(|d| d.to_string()),
    }
}

/// Every offer version of the request, newest first, with its payees and payments (the
/// coordinator's: an operator sees its own part of the request, not the consolidated offer).
pub fn offers(file: &StaffCaseFile) -> Result<Vec<OfferJson>, ApiError> {
    let Some(offer) = &file.offer else {
        return Ok(Vec::new());
    };
    let request_id = &file.request.id;
    offer
        .versions
        .iter()
        .map(|row| {
            let document = &row.document;
            Ok(OfferJson {
                version: row.version,
                status: row.status.to_string(),
                language: row.language.clone(),
                sent_at: super::timestamp(row.sent_at),
                valid_until: row.valid_until.to_string(),
                accepted_at: row.accepted_at.map(super::timestamp),
                accepted_by: row.accepted_by.clone(),
                supersedes_reason: row.supersedes_reason.clone(),
                total_excl_vat: document.total_excl_vat,
                total_vat: document.total_vat,
                total_incl_vat: document.total_incl_vat,
                documents: document
                    .sections
                    .iter()
                    .map(|section| DocumentJson {
                        kind: section.document.code(),
                        scope: section.scope.code(),
                        operator: section.operator.clone(),
                        services: section.services.clone(),
                        total_excl_vat: section.subtotal_excl_vat,
                        total_vat: section.subtotal_vat,
                        total_incl_vat: section.subtotal_incl_vat,
                        payee: section.payment.as_ref().map(|p| p.payee.clone()),
                    })
                    .collect(),
                payees: row
                    .dues
                    .iter()
                    .map(|due| payee_json(&file.request.applicant_name, due))
                    .collect(),
                document: format!("/api/v1/requests/{request_id}/offers/{}", row.version),
                pdf: format!(
                    "/backoffice/requests/{request_id}/offers/{}.pdf",
                    row.version
                ),
            })
        })
        .collect()
}

fn internal(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %error, "offer document");
    ApiError::Internal
}

/// One offer version's whole document as sent: sections per operator, lines with their rule
/// and tariff book, VAT, totals, conditions, proposed days.
#[utoipa::path(
    get,
    path = "/requests/{id}/offers/{version}",
    operation_id = "getOfferDocument",
    tag = "requests",
    summary = "One offer version's whole document, as sent (the coordinator's case officers only)",
    params(
        ("id" = uuid::Uuid, Path, description = "The request"),
        ("version" = u32, Path, minimum = 1, description = "The offer's version, from 1"),
    ),
    responses(
        (status = 200, description = "Sections per operator with their lines (rule and tariff book), VAT per rate, totals, validity, conditions and proposed days", body = Object),
        (status = 401, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn offer_document(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !staff.user.is_coordinator() {
        return Err(ApiError::NotFound);
    }
    // Versions are numbered from 1: anything else names no offer.
    let version: i64 = version.parse().map_err(|_| ApiError::NotFound)?;
    let id: RequestId = id.parse().map_err(|_| ApiError::NotFound)?;
    let request = services::case_file::request_for(&state, &staff.user, id).await?;
    let document =
        match services::offers::document_of_version(&state, &request.access, version).await {
            Ok(Some(document)) => document,
            Ok(None) => return Err(ApiError::NotFound),
            Err(services::offers::OfferError::Db(DbError::NotFound)) => {
                return Err(ApiError::NotFound);
            }
            Err(error) => return Err(internal(error)),
        };
    Ok(Json(serde_json::to_value(document).map_err(internal)?))
}

/// A commune's permits.
#[derive(Serialize, ToSchema)]
#[schema(as = PermitList)]
pub struct PermitListJson {
    to_decide: Vec<PermitLineJson>,
    decided: Vec<PermitLineJson>,
}

/// One permit of a commune's list.
#[derive(Serialize, ToSchema)]
#[schema(as = PermitLine)]
struct PermitLineJson {
    #[schema(value_type = String, format = Uuid)]
    id: PermitId,
    reference: String,
    site: String,
    commune: String,
    parcel_ref: Option<String>,
    #[schema(schema_with = doc::permit_status)]
    status: String,
    #[schema(format = Date)]
    day: String,
    requested_at: String,
    #[schema(format = Date)]
    due_on: String,
    decided_at: Option<String>,
}

impl From<PermitListRow> for PermitLineJson {
    fn from(row: PermitListRow) -> Self {
        let site = [row.street, row.house_number]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            id: row.id,
            reference: row.reference,
            site: format!("{site}, {}", row.postcode),
            commune: row.commune_name,
            parcel_ref: row.parcel_ref,
            status: row.status.to_string(),
            day: row.day.to_string(),
            requested_at: super::timestamp(row.requested_at),
            due_on: row.due_on.to_string(),
            decided_at: row.decided_at.map(super::timestamp),
        }
    }
}

/// How many decided permits the list returns, newest first.
const DECIDED_LIMIT: i64 = 200;

/// A commune's joint road-works permits: those to decide (most urgent first: the earlier of
/// the works day and the due date, then the due date) and the latest decided. Only for a municipality's staff.
#[utoipa::path(
    get,
    path = "/permits",
    operation_id = "listPermits",
    tag = "permits",
    summary = "The joint road-works permits of the signed-in municipality: to decide (most urgent first: by the earlier of the works day and the decision due date, then the due date) and the latest decided",
    responses(
        (status = 200, description = "The permits", body = PermitListJson),
        (status = 401, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn permit_list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<PermitListJson>, ApiError> {
    if staff.user.organisation_kind != OrganisationKind::Municipality {
        return Err(ApiError::NotFound);
    }
    let list = commune::permit_list(&state, &staff.user, DECIDED_LIMIT).await?;
    Ok(Json(PermitListJson {
        to_decide: list
            .to_decide
            .into_iter()
            .map(PermitLineJson::from)
            .collect(),
        decided: list.decided.into_iter().map(PermitLineJson::from).collect(),
    }))
}

/// The nuisance avoided (C-6) per month of a period.
#[derive(Serialize, ToSchema)]
#[schema(as = Figures)]
pub struct FiguresJson {
    commune: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
    months: Vec<MonthJson>,
    total: FiguresLineJson,
}

/// One month's figures.
#[derive(Serialize, ToSchema)]
#[schema(as = FiguresMonth)]
struct MonthJson {
    /// `YYYY-MM`.
    month: String,
    #[serde(flatten)]
    figures: FiguresLineJson,
}

/// The figures of a month or of the period.
#[derive(Serialize, ToSchema)]
#[schema(as = FiguresLine)]
struct FiguresLineJson {
    works_days: u32,
    openings_made: u32,
    openings_separate: u32,
    openings_avoided: u32,
    crew_visits_avoided: u32,
    shared_trench_metres: Decimal,
    streets_reopened: u32,
}

impl From<&Figures> for FiguresLineJson {
    fn from(f: &Figures) -> Self {
        Self {
            works_days: f.works_days,
            openings_made: f.openings_made,
            openings_separate: f.openings_separate,
            openings_avoided: f.openings_avoided(),
            crew_visits_avoided: f.crew_visits_avoided,
            shared_trench_metres: f.shared_trench_metres,
            streets_reopened: f.streets_reopened,
        }
    }
}

/// The nuisance avoided (C-6) per month of a period (this year by default): a commune's own,
/// or for the coordinator one of its communes (`commune=` NIS code) or all of them.
#[utoipa::path(
    get,
    path = "/figures",
    operation_id = "getFigures",
    tag = "figures",
    summary = "Nuisance avoided per month (rule C-6): a municipality's own commune, or for the coordinator one of its communes or all",
    params(
        ("from" = Option<NaiveDate>, Query, description = "First day (1 January of this year by default)"),
        ("to" = Option<NaiveDate>, Query, description = "Last day (31 December of this year by default); at most 60 months after `from`"),
        ("commune" = Option<String>, Query, description = "NIS code; a municipality may only ask for its own"),
    ),
    responses(
        (status = 200, description = "The figures", body = FiguresJson),
        (status = 401, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 422, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn figures(
    State(state): State<AppState>,
    staff: Staff,
    JsonQuery(query): JsonQuery<FiguresQuery>,
) -> Result<Json<FiguresJson>, ApiError> {
    let commune = if staff.user.organisation_kind == OrganisationKind::Municipality {
        let own = commune::own_commune(&state, &staff.user)
            .await?
            .ok_or(ApiError::NotFound)?
            .nis;
        if !query.commune.is_empty() && query.commune != own {
            return Err(ApiError::NotFound);
        }
        Some(own)
    } else if staff.user.is_coordinator() {
        if query.commune.is_empty() {
            None
        } else {
            let communes = commune::coordinated_communes(&state, &staff.user).await?;
            if !communes.iter().any(|(nis, _)| *nis == query.commune) {
                return Err(ApiError::NotFound);
            }
            Some(query.commune.clone())
        }
    } else {
        return Err(ApiError::NotFound);
    };
    let (from, to) = period(staff.tr, &query, state.clock.today()).map_err(ApiError::Invalid)?;
    let report: Report =
        commune::figures(&state, &staff.user, commune.as_deref(), from, to).await?;
    Ok(Json(FiguresJson {
        commune,
        from: report.from,
        to: report.to,
        months: report
            .months
            .iter()
            .map(|m| MonthJson {
                month: m.month.format("%Y-%m").to_string(),
                figures: FiguresLineJson::from(&m.figures),
            })
            .collect(),
        total: FiguresLineJson::from(&report.total),
    }))
}

/// V-3.1: the dossier-opening fee invoiced at filing, with its payment (coordinator only).
#[derive(Serialize, ToSchema)]
#[schema(as = DossierInvoice)]
pub struct DossierInvoiceJson {
    number: String,
    #[schema(schema_with = doc::dossier_rule)]
    rule: &'static str,
    #[schema(format = Date)]
    issued_on: String,
    /// Payable within 15 days of issue.
    #[schema(format = Date)]
    due_on: String,
    /// ORES' legal entity.
    payee: String,
    iban: Option<String>,
    bic: Option<String>,
    structured_communication: String,
    /// Euros with two decimals.
    amount_excl_vat: String,
    /// Percent: 21 (rule V-6).
    vat_rate: String,
    /// Euros with two decimals.
    vat_amount: String,
    /// VAT included, euros with two decimals.
    amount: String,
    /// The tariff book in force on the request date (rule V-5).
    book_version: String,
    #[schema(schema_with = doc::invoice_status)]
    status: &'static str,
    #[schema(format = Date)]
    paid_on: Option<String>,
    paid_amount: Option<String>,
}

pub fn dossier_invoice(file: &StaffCaseFile, today: NaiveDate) -> Option<DossierInvoiceJson> {
    file.dossier_invoice
        .as_ref()
        .map(|invoice| DossierInvoiceJson {
            number: invoice.number.clone(),
            rule: "V-3.1",
            issued_on: invoice.issued_on.to_string(),
            due_on: invoice.due_on.to_string(),
            payee: invoice.payee.clone(),
            iban: invoice.iban.clone(),
            bic: invoice.bic.clone(),
            structured_communication: invoice.structured_communication.clone(),
            amount_excl_vat: cents(invoice.amount_excl_vat),
            vat_rate: invoice.vat_rate.normalize().to_string(),
            vat_amount: cents(invoice.vat_amount),
            amount: cents(invoice.amount),
            book_version: invoice.book_version.clone(),
            status: invoice.status(today),
            paid_on: invoice.paid.map(|p| p.on.to_string()),
            paid_amount: invoice.paid.map(|p| cents(p.amount)),
        })
}
