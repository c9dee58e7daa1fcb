//! The coordinator's systems automate the back office's offer steps (issue 21): send the
//! consolidated offer and register a payment through the same services as the request page's
//! buttons (same checks, refusals, events, mails and webhooks), each write named after the key.

use axum::{Json, body::Bytes, extract::State};
use serde::{Deserialize, Serialize};

use super::{require_write, works};
use crate::domain::{DueId, RequestId};
use crate::{
    domain::tenancy::SessionUser,
    http::{
        error::ApiError,
        extract::{ApiIdPath, Staff},
        refusal::offer_refusal,
    },
    i18n::Tr,
    services::{
        case_file::{self, CaseFileError, RequestRow},
        offers::{self as offer_service, OfferError, Officer},
    },
    state::AppState,
};

/// The coordinator's request: another organisation's (an operator's or a commune's key
/// included) does not exist.
async fn coordinated(
    state: &AppState,
    user: &SessionUser,
    id: RequestId,
) -> Result<RequestRow, ApiError> {
    Ok(case_file::coordinated_request(state, user, id).await?)
}

fn refused(tr: Tr, error: OfferError) -> ApiError {
    match error {
        OfferError::Db(error) => ApiError::from(error),
        other => ApiError::refused(
            offer_refusal(tr, &other),
            match other {
                OfferError::NoBook(_) => Some("V-5".to_owned()),
                _ => None,
            },
        ),
    }
}

fn body_of<T: serde::de::DeserializeOwned + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|error| ApiError::Invalid(format!("body: {error}")))
}

/// The request's offers as the API shows them, newest first.
async fn offers_of(
    state: &AppState,
    user: &SessionUser,
    id: RequestId,
) -> Result<Vec<works::OfferJson>, ApiError> {
    let file = case_file::for_staff(state, user, id)
        .await
        .map_err(|error| match error {
            CaseFileError::NotFound => ApiError::NotFound,
            CaseFileError::Db(error) => ApiError::from(error),
            CaseFileError::Corrupt(what) => {
                tracing::error!(%what, "case file");
                ApiError::Internal
            }
        })?;
    works::offers(&file)
}

/// The offer to send, with the field of the request page's button.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = OfferSend)]
#[serde(default, deny_unknown_fields)]
pub struct OfferBody {
    /// Why the offer is sent again (required for a revised offer; V-8).
    pub reason: String,
}

/// An offer just sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OfferSent {
    /// The request.
    #[schema(value_type = String, format = Uuid)]
    request_id: RequestId,
    /// The version sent (numbered from 1).
    version: i64,
    /// The same offer had been sent already under this request: nothing new was sent.
    repeated: bool,
    /// The request's offers, newest first, as `GET /api/v1/requests/{id}` shows them.
    offers: Vec<works::OfferJson>,
}

/// Sends the consolidated offer through the request page's service: a new numbered version and
/// one email with the PDF to the applicant; the timeline names the key. Refused as on the page
/// while a part is unanswered or unpriced (V-5), or in a state where no offer goes out.
#[utoipa::path(
    post,
    path = "/requests/{id}/offer",
    operation_id = "sendOffer",
    tag = "requests",
    summary = "Sends the consolidated offer through the request page's service: a new numbered version and one email with the PDF to the applicant; the history names the key",
    description = "Needs a read-write key of the request's coordinator. Refused as on the page (422) while a part is unanswered or unpriced (V-5), in a state where no offer goes out, or for a revised offer without its reason.",
    params(("id" = uuid::Uuid, Path, description = "The request"), super::doc::IdempotencyHeader),
    request_body(content = Option<OfferBody>, content_type = "application/json"),
    responses(
        (status = 200, description = "The version sent and the request's offers", body = OfferSent, headers(("Idempotent-Replayed" = String, description = "true when this is the first answer given again"))),
        super::doc::WriteRefusals,
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn send_offer(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<RequestId>,
    body: Bytes,
) -> Result<Json<OfferSent>, ApiError> {
    let request = coordinated(&state, &staff.user, id).await?;
    require_write(&staff.user)?;
    let input: OfferBody = body_of(&body)?;
    let reason = Some(input.reason.trim()).filter(|reason| !reason.is_empty());
    // The page's form carries a fresh key per rendering; the API's repeats are answered by
    // the `Idempotency-Key` before they reach here.
    let key = uuid::Uuid::new_v4().to_string();
    let sent = offer_service::send(
        &state,
        Officer { user: &staff.user },
        &request,
        &key,
        reason,
        state.clock.now(),
    )
    .await
    .map_err(|error| refused(staff.tr, error))?;
    Ok(Json(OfferSent {
        request_id: request.id,
        version: sent.version,
        repeated: sent.repeated,
        offers: offers_of(&state, &staff.user, request.id).await?,
    }))
}

/// A payment to register, with the fields of the request page's form: the due by payee, or
/// the operator by organisation.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PaymentInput)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentBody {
    /// The due paid: its `id` in the latest offer's `payees`.
    pub payee: String,
    /// Or the operator paid (its organisation's id), when it has a single due from the
    /// applicant.
    pub organisation: String,
    /// The amount received in euros, e.g. `"250.00"`.
    pub amount: String,
    /// The day the money arrived (`YYYY-MM-DD`), not in the future.
    pub paid_on: String,
}

/// A payment just registered.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PaymentRegistered {
    /// The request.
    #[schema(value_type = String, format = Uuid)]
    request_id: RequestId,
    /// The due the payment was registered against (a payee's `id`).
    #[schema(value_type = String)]
    due_id: DueId,
    /// The request's offers, newest first, with every payee's payments and what is still due.
    offers: Vec<works::OfferJson>,
}

/// Registers a payment through the request page's service: instalments add up (B-5.4), the
/// request is ready for works once everything due before them is paid (V-8.2.1); the timeline
/// names the key. The same payment (due, amount, day) sent again is registered once.
#[utoipa::path(
    post,
    path = "/requests/{id}/payments",
    operation_id = "registerPayment",
    tag = "requests",
    summary = "Registers a payment against a due of the accepted offer through the request page's service: instalments add up (B-5.4), the request is ready for works once everything due before them is paid (V-8.2.1); the history names the key",
    description = "Needs a read-write key of the request's coordinator. The same payment (due, amount, day) sent again is registered once. Refused as on the page (422): an unknown payee, an amount that is no positive number of cents, a day in the future, an offer not accepted.",
    params(("id" = uuid::Uuid, Path, description = "The request"), super::doc::IdempotencyHeader),
    request_body(content = PaymentBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The due paid and the request's offers with every payee's payments", body = PaymentRegistered, headers(("Idempotent-Replayed" = String, description = "true when this is the first answer given again"))),
        super::doc::WriteRefusals,
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn record_payment(
    State(state): State<AppState>,
    staff: Staff,
    ApiIdPath(id): ApiIdPath<RequestId>,
    body: Bytes,
) -> Result<Json<PaymentRegistered>, ApiError> {
    let request = coordinated(&state, &staff.user, id).await?;
    require_write(&staff.user)?;
    let input: PaymentBody = body_of(&body)?;
    let payee = offer_service::PayeeChoice::named(&input.payee, &input.organisation)
        .map_err(|error| refused(staff.tr, error))?;
    let due_id = offer_service::record_payment(
        &state,
        &staff.user,
        &request,
        offer_service::PaymentInput {
            payee,
            amount: &input.amount,
            paid_on: &input.paid_on,
            key: None,
        },
        state.clock.now(),
    )
    .await
    .map_err(|error| refused(staff.tr, error))?;
    Ok(Json(PaymentRegistered {
        request_id: request.id,
        due_id,
        offers: offers_of(&state, &staff.user, request.id).await?,
    }))
}
