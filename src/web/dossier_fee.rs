//! The servicing dossier-opening fee invoiced at filing (V-3.1) on the pages: the applicant
//! reads it on the status page, the case officer reads it and records its payment.

use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use serde::Deserialize;

use super::{
    backoffice::{coordinator_request, refused_on_detail},
    error::PageError,
    extract::{CsrfForm, Staff},
};
use crate::domain::RequestId;
use crate::http::extract::IdPath;
use crate::{
    i18n::Tr,
    services::dossier_fee::{self, DossierFeeError, DossierInvoice},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/backoffice/requests/{id}/dossier-fee/payment",
        post(record_payment),
    )
}

/// The invoice as both pages show it.
pub struct DossierFeePanel {
    pub number: String,
    pub issued_on: String,
    pub due_on: String,
    pub amount_excl_vat: String,
    pub vat: String,
    pub amount: String,
    /// For the payment form: the amount as typed (`302.50`).
    pub amount_plain: String,
    pub payee: String,
    pub iban: String,
    pub bic: String,
    pub communication: String,
    /// `paid`, `due` or `overdue`.
    pub status: &'static str,
    /// "Paid on …", "To pay by …" or "Overdue since …".
    pub status_text: String,
    pub paid: bool,
    /// Today (`2026-12-02`): the payment date field's `max` (no payment dated later).
    pub today: String,
    /// V-2.3: "Addressed to and payable by …" when the payer is not the applicant.
    pub addressed_to: Option<String>,
}

impl DossierFeePanel {
    pub fn of(tr: Tr, invoice: &DossierInvoice, today: chrono::NaiveDate) -> Self {
        let status = invoice.status(today);
        let status_text = match &invoice.paid {
            Some(paid) => tr.f(
                "dossier_fee.paid_on",
                [
                    ("date", tr.numeric_date(paid.on).as_str()),
                    ("amount", tr.money(paid.amount).as_str()),
                ],
            ),
            None => tr.f(
                if status == "overdue" {
                    "dossier_fee.overdue"
                } else {
                    "dossier_fee.to_pay"
                },
                [("date", tr.numeric_date(invoice.due_on).as_str())],
            ),
        };
        let vat_rate = invoice.vat_rate.normalize();
        DossierFeePanel {
            number: invoice.number.clone(),
            issued_on: tr.numeric_date(invoice.issued_on),
            due_on: tr.numeric_date(invoice.due_on),
            amount_excl_vat: tr.money(invoice.amount_excl_vat),
            vat: tr.f(
                "dossier_fee.vat",
                [
                    ("rate", vat_rate.to_string().as_str()),
                    ("amount", tr.money(invoice.vat_amount).as_str()),
                ],
            ),
            amount: tr.money(invoice.amount),
            amount_plain: invoice.amount.to_string(),
            payee: invoice.payee.clone(),
            iban: invoice.iban.clone().unwrap_or_default(),
            bic: invoice.bic.clone().unwrap_or_default(),
            communication: invoice.structured_communication.clone(),
            status,
            status_text,
            paid: invoice.is_paid(),
            today: today.to_string(),
            addressed_to: invoice.addressed_to(tr),
        }
    }
}

/// Why a payment of the dossier fee was refused, in the reader's words, with its rule.
pub fn refusal(tr: Tr, error: &DossierFeeError) -> String {
    match error {
        DossierFeeError::NoInvoice => tr.t("dossier_fee.refused.no_invoice").to_owned(),
        DossierFeeError::Invalid(input) => tr.error(input),
        DossierFeeError::Payment(refusal) => match refusal {
            crate::domain::dues::PaymentRefusal::BeforeOffer => {
                tr.t("dossier_fee.refused.before_invoice").to_owned()
            }
            other => crate::http::refusal::payment_refusal(tr, other),
        },
        DossierFeeError::NotFullAmount { expected } => tr.f(
            "dossier_fee.refused.not_full",
            [
                ("amount", tr.money(*expected).as_str()),
                ("rule", error.rule()),
            ],
        ),
        DossierFeeError::Db(_) => tr.t("page_error.internal.title").to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PaymentForm {
    amount: String,
    paid_on: String,
}

/// The case officer records the payment of the dossier-fee invoice (its full amount).
async fn record_payment(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<PaymentForm>,
) -> Result<Response, PageError> {
    let request = coordinator_request(&state, &staff, id).await?;
    match dossier_fee::record_payment(
        &state,
        &staff.user,
        &request,
        &form.amount,
        &form.paid_on,
        state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(
            Redirect::to(&format!("/backoffice/requests/{id}?saved=1#dossier-fee")).into_response(),
        ),
        Err(DossierFeeError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let text = refusal(staff.tr, &refused);
            refused_on_detail(&state, staff, id, text).await
        }
    }
}
