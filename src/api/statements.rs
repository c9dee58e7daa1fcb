//! The coordinator's (or an operator's) bank software uploads its CODA statements (issue 21):
//! read and matched by the same service as the statements page, each matched credit a payment
//! recorded with the statement as its source and a timeline event naming the key.

use axum::{Json, body::Bytes, extract::State};
use serde::{Deserialize, Serialize};

use super::{JsonQuery, require_write};
use crate::{
    http::{error::ApiError, extract::Staff, refusal::statement_refusal},
    services::statements::{self, FILE_MAX_BYTES, Reconciler, StatementError, UploadSummary},
    state::AppState,
};

/// The upload's query string.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatementQuery {
    /// The file's name, kept with the statement (`statement.cod` when empty).
    pub filename: String,
}

/// What the upload read: how each credit read for the first time was matched.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatementReading {
    /// Statements in the file.
    statements: usize,
    /// Credits read for the first time.
    credits: usize,
    /// Credits that paid their due in full.
    paid: usize,
    /// Credits recorded as a partial payment of their due (B-5.4).
    partial: usize,
    /// Credits beyond their due: recorded, the excess to refund.
    over: usize,
    /// Credits that could not be matched, listed on the statements page to assign by hand.
    to_assign: usize,
    /// Credits already read from an earlier upload of the same statement: nothing registered.
    already_read: usize,
    /// Debits: money going out, not payments.
    debits: usize,
}

impl From<UploadSummary> for StatementReading {
    fn from(summary: UploadSummary) -> Self {
        StatementReading {
            statements: summary.statements,
            credits: summary.credits,
            paid: summary.paid,
            partial: summary.partial,
            over: summary.over,
            to_assign: summary.to_assign,
            already_read: summary.already_read,
            debits: summary.debits,
        }
    }
}

/// Uploads one CODA file (the body, as the bank gives it) through the statements page's
/// service: the same reading, matching and refusals; the same statement again registers
/// nothing twice. Only the coordinator's and operators' keys have statements.
#[utoipa::path(
    post,
    path = "/statements",
    operation_id = "uploadStatement",
    tag = "requests",
    summary = "Uploads a CODA bank statement of the organisation's account through the statements page's service: each credit matched by its structured communication is registered as a payment (full, partial, over) with the statement as its source; the others wait on the statements page to be assigned",
    description = "Needs a read-write key of the coordinator or an operator. The same statement again registers nothing twice (its credits count as already_read). A file that is no CODA statement: 422 refused, with the line.",
    params(
        ("filename" = Option<String>, Query, max_length = 200, description = "The file's name, kept with the statement"),
        super::doc::IdempotencyHeader,
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The CODA file as the bank gives it"),
    responses(
        (status = 200, description = "What the upload read", body = StatementReading, headers(("Idempotent-Replayed" = String, description = "true when this is the first answer given again"))),
        super::doc::WriteRefusals,
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    JsonQuery(query): JsonQuery<StatementQuery>,
    body: Bytes,
) -> Result<Json<StatementReading>, ApiError> {
    let reconciler = Reconciler::of(&staff.user).ok_or(ApiError::NotFound)?;
    require_write(&staff.user)?;
    let tr = staff.tr;
    let refused = |error: StatementError| match error {
        StatementError::Db(error) => ApiError::from(error),
        other => ApiError::refused(statement_refusal(tr, &other), None),
    };
    if u64::try_from(body.len()).unwrap_or(u64::MAX) > FILE_MAX_BYTES {
        return Err(refused(StatementError::TooLarge {
            max_mb: FILE_MAX_BYTES / (1024 * 1024),
        }));
    }
    let filename = match query.filename.trim() {
        "" => "statement.cod",
        name => name,
    };
    let filename: String = filename.chars().take(200).collect();
    statements::upload(
        &state,
        &staff.user,
        reconciler,
        &filename,
        &body,
        state.clock.now(),
    )
    .await
    .map(|summary| Json(StatementReading::from(summary)))
    .map_err(refused)
}
