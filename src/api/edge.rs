//! What every call of `/api/v1` goes through: the bearer key (issue 21), the answer of a
//! repeated `Idempotency-Key`, and errors as problem details in the caller's language.

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::{
    domain::{Language, idempotency::IdempotencyKey},
    http::{
        error::{ApiError, RenderedApiError},
        extract::language_of,
    },
    i18n::Tr,
    services::api_keys::{self, Answer, Idempotency},
    state::AppState,
};

/// The largest body kept for a repeat: the forms' limit, which the router applies anyway.
const BODY_LIMIT: usize = 64 * 1024;
/// A bank statement's upload (`/api/v1/statements`) may be larger: the statements page's limit.
const STATEMENT_LIMIT: u64 = crate::services::statements::FILE_MAX_BYTES + 1024;

/// The header a repeated POST carries.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The header of an answer given again for a repeated `Idempotency-Key`.
pub const REPLAYED: &str = "idempotent-replayed";

/// Authenticates a bearer key (its organisation acts, in the language of the administrator who
/// created it), answers a repeated `Idempotency-Key` with the first answer, and words any error
/// in the caller's language.
pub async fn api_edge(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let now = state.clock.now();
    let mut tr = Tr(language_of(request.headers()));
    let mut owner = None;
    if let Some(value) = request.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or_default().to_owned();
        match api_keys::authenticate(&state, &value, now).await {
            Ok(Ok(user)) => {
                tr = Tr(user.language.parse().unwrap_or(Language::Fr));
                owner = Some(user.organisation_id);
                request.extensions_mut().insert(user);
            }
            Ok(Err((refusal, language))) => {
                if let Some(language) = language.and_then(|l| l.parse().ok()) {
                    tr = Tr(language);
                }
                return ApiError::Key(refusal).render(tr);
            }
            Err(error) => return ApiError::from(error).render(tr),
        }
    }
    let idempotency_key = (request.method() == Method::POST)
        .then(|| request.headers().get(IDEMPOTENCY_KEY).cloned())
        .flatten();
    match (idempotency_key, owner) {
        (Some(key), Some(owner)) => {
            let Some(key) = IdempotencyKey::parse(key.as_bytes()) else {
                return ApiError::Idempotency("idempotency_key_invalid").render(tr);
            };
            idempotent(&state, owner, &key, tr, request, next).await
        }
        _ => localised(next.run(request).await, tr),
    }
}

/// An error response answered again in the caller's language.
fn localised(response: Response, tr: Tr) -> Response {
    match response.extensions().get::<RenderedApiError>() {
        Some(error) if tr.language() != Language::En => error.0.render(tr),
        _ => response,
    }
}

/// A POST under an `Idempotency-Key`: the first answer is kept; the same request again gets
/// it again, another request under the same key is refused.
async fn idempotent(
    state: &AppState,
    owner: crate::domain::OrganisationId,
    key: &IdempotencyKey,
    tr: Tr,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let limit = if parts.uri.path() == "/api/v1/statements" {
        usize::try_from(STATEMENT_LIMIT).unwrap_or(usize::MAX)
    } else {
        BODY_LIMIT
    };
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return ApiError::Invalid("body: too large or unreadable".into()).render(tr);
    };
    let mut digest = Sha256::new();
    digest.update(parts.method.as_str().as_bytes());
    digest.update(b" ");
    digest.update(
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or_default()
            .as_bytes(),
    );
    digest.update(b"\n");
    digest.update(&bytes);
    let fingerprint: String = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = state.clock.now();
    match api_keys::claim(state, owner, key, &fingerprint, now).await {
        Err(error) => ApiError::from(error).render(tr),
        Ok(Idempotency::Mismatch) => ApiError::Idempotency("idempotency_mismatch").render(tr),
        Ok(Idempotency::InProgress) => ApiError::Idempotency("idempotency_in_progress").render(tr),
        Ok(Idempotency::Replay(kept)) => {
            let status =
                axum::http::StatusCode::from_u16(u16::try_from(kept.status).unwrap_or(500))
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (status, kept.body).into_response();
            if let Ok(value) = HeaderValue::from_str(&kept.content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            if let Some(value) = kept
                .etag
                .as_deref()
                .and_then(|etag| HeaderValue::from_str(etag).ok())
            {
                response.headers_mut().insert(header::ETAG, value);
            }
            response
                .headers_mut()
                .insert(REPLAYED, HeaderValue::from_static("true"));
            response
        }
        Ok(Idempotency::First) => {
            let request = Request::from_parts(parts, Body::from(bytes));
            let response = localised(next.run(request).await, tr);
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_else(|_| Bytes::new());
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let text = String::from_utf8_lossy(&bytes);
            let etag = parts
                .headers
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok());
            let answer = Answer {
                status: parts.status.as_u16(),
                content_type: &content_type,
                etag,
                body: &text,
            };
            if let Err(error) = api_keys::keep(state, owner, key, &answer).await {
                tracing::error!(%error, "keeping an idempotent answer");
            }
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}
