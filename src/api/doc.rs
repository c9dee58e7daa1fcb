//! The API's OpenAPI document, generated from the handlers' `#[utoipa::path]` descriptions and
//! the types they read and write (issue 21): served at `/api/v1/openapi.json`, checked against
//! the router by the tests and fuzzed by schemathesis in CI (security/schemathesis.sh).

use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, OpenApi as Document, RefOr, ResponseBuilder, ServerBuilder,
        schema::{ObjectBuilder, OneOfBuilder, Schema, Type},
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use super::{assessments, coordinator, crews, permits, reservations, statements, studies, works};
use crate::http::error::{PROBLEM_JSON, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Connect my home API",
        version = "1",
        description = "JSON mirror of what the pages do. Staff calls use the session cookie of \
/login; an organisation's systems use one of its API keys (Authorization: Bearer cmh_…, created \
by its administrator at /operator/api-keys). Either sees only what the organisation may see (a \
request or an assessment that does not involve it answers 404). A read key only reads; writes \
need a read-write key (a browser session is refused with 403 needs_key), are named after the \
key in the request's history, and take an optional Idempotency-Key header: the same key with the \
same request answers the first answer again (header Idempotent-Replayed: true), with another \
request 422 idempotency_mismatch. Errors are RFC 9457 problem details \
(application/problem+json): type, title, status, detail, the rule id where a rule refuses, and \
error/message repeating the code and the detail; titles and the product's own details are in \
the language of the key's owner (the administrator who created it) or of the page. See \
docs/API.md."
    ),
    paths(
        super::list,
        super::show,
        super::estimate,
        works::offer_document,
        works::permit_list,
        works::figures,
        assessments::list,
        assessments::show,
        assessments::change,
        assessments::works_done,
        studies::study,
        studies::survey,
        reservations::list,
        coordinator::send_offer,
        coordinator::record_payment,
        statements::upload,
        crews::list,
        crews::declare_absences,
        crews::create,
        crews::change,
        crews::retire,
        permits::show,
        permits::decide,
    ),
    components(schemas(Problem), responses(ErrorResponse)),
    tags(
        (name = "requests", description = "The queue and the requests the organisation is involved in, with their offers"),
        (name = "assessments", description = "An operator's parts of requests and its answers"),
        (name = "permits", description = "A commune's joint road-works permits (rule C-6)"),
        (name = "figures", description = "The nuisance avoided, per month (rule C-6)"),
        (name = "estimates", description = "What connections would cost, without filing anything"),
    ),
    modifiers(&Frame)
)]
struct ApiDoc;

/// What the derive does not say: where the API is served, how callers authenticate, and the
/// one error response every operation shares.
struct Frame;

impl Modify for Frame {
    fn modify(&self, document: &mut Document) {
        document.servers = Some(vec![ServerBuilder::new().url("/api/v1").build()]);
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "cmh_session",
                "The session of a staff member signed in on the pages (POST /login)",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An organisation's API key (cmh_…), shown once when its administrator \
                         creates it at /operator/api-keys. Revoked or expired: 401 key_revoked or \
                         key_expired.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every refusal: `#/components/responses/Error`, problem details in the caller's language.
pub struct ErrorResponse;

impl<'r> utoipa::ToResponse<'r> for ErrorResponse {
    fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
        (
            "Error",
            RefOr::T(
                ResponseBuilder::new()
                    .description("Refused, with the reason (RFC 9457 problem details)")
                    .content(
                        PROBLEM_JSON,
                        ContentBuilder::new()
                            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                                "Problem",
                            ))))
                            .build(),
                    )
                    .build(),
            ),
        )
    }
}

/// The document, as served. utoipa 5 writes a response link's fields in Rust's spelling
/// (`operation_id`); OpenAPI spells them `operationId`, `operationRef` and `requestBody`, and
/// clients following links (schemathesis' stateful phase) read only those.
pub fn document() -> serde_json::Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    respell_links(&mut document);
    document
}

fn respell_links(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(links)) = map.get_mut("links") {
                for link in links.values_mut() {
                    if let serde_json::Value::Object(link) = link {
                        for (rust, openapi) in [
                            ("operation_id", "operationId"),
                            ("operation_ref", "operationRef"),
                            ("request_body", "requestBody"),
                        ] {
                            if let Some(field) = link.remove(rust) {
                                link.insert(openapi.to_owned(), field);
                            }
                        }
                    }
                }
            }
            map.values_mut().for_each(respell_links);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(respell_links),
        _ => {}
    }
}

/// The header every write takes: sent again with the same request, the first answer again.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// 1 to 200 visible ASCII characters. Sent again with the same request: the first answer
    /// again (kept 24 hours).
    #[serde(rename = "Idempotency-Key")]
    #[param(pattern = "^[!-~]{1,200}$")]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

/// What every write may be refused with, each as `#/components/responses/Error`: no valid key
/// or session (401), a read key or a browser session (403), another organisation's resource
/// (404), a stale version or a write in progress under the same idempotency key (409), a
/// refusal of the page's rules (422).
pub struct WriteRefusals;

impl utoipa::IntoResponses for WriteRefusals {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        [401, 403, 404, 409, 422]
            .into_iter()
            .map(|status| {
                (
                    status.to_string(),
                    RefOr::Ref(utoipa::openapi::Ref::from_response_name("Error")),
                )
            })
            .collect()
    }
}

/// The header a change of an operator's answer may name the version it read with, instead
/// of the body's `version` field.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// The answer's version ("3"), instead of the version field.
    #[serde(rename = "If-Match")]
    #[allow(dead_code)]
    if_match: Option<String>,
}

/// What a change of an operator's answer (`/answer`, `/study`, `/survey`) answers: the part
/// with its new version (`ETag`), or a write refusal, or 428 when no version was named.
pub struct NewAnswerVersion;

impl utoipa::IntoResponses for NewAnswerVersion {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let text = |description: &str| {
            utoipa::openapi::header::HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some(description))
                .build()
        };
        let changed = ResponseBuilder::new()
            .description("The part with its new answer")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("PartDetail")))
                    .build(),
            )
            .header("ETag", text("The new version, quoted"))
            .header(
                "Idempotent-Replayed",
                text("true when this is the first answer given again"),
            )
            .build();
        let mut responses = WriteRefusals::responses();
        responses.insert("200".to_owned(), RefOr::T(changed));
        responses.insert(
            "428".to_owned(),
            RefOr::Ref(utoipa::openapi::Ref::from_response_name("Error")),
        );
        responses
    }
}

/// A string that is one of `values`.
fn codes(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

/// A string that is one of `values`, or null.
fn codes_or_null(values: &[&str]) -> Schema {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(codes(values))
            .build(),
    )
}

pub(super) fn part_status() -> Schema {
    codes(&crate::domain::assessment::AssessmentStatus::codes()).into()
}

pub(super) fn feasibility() -> Schema {
    codes_or_null(&[
        "feasible",
        "feasible_with_extension",
        "not_available",
        "refused",
    ])
}

pub(super) fn document_kind() -> Schema {
    codes(&[
        "situation_plan",
        "parcel_plan_lambert72",
        "road_plan",
        "permit_copy",
        "as_built_plan_dwg",
        "legal_title",
        "trade_register_extract",
        "vat_exemption_proof",
        "certibeau",
        "other",
    ])
    .into()
}

pub(super) fn content_type() -> Schema {
    codes(&[
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/vnd.dwg",
    ])
    .into()
}

pub(super) fn uploaded_by() -> Schema {
    codes(&["applicant", "staff"]).into()
}

pub(super) fn offer_status() -> Schema {
    codes(&crate::domain::offer::OfferStatus::codes()).into()
}

pub(super) fn permit_status() -> Schema {
    codes(&[
        "pending",
        "information_requested",
        "approved",
        "approved_with_conditions",
        "refused",
        "cancelled",
        "offline",
    ])
    .into()
}

pub(super) fn document_class() -> Schema {
    codes(&["offer", "invoice"]).into()
}

pub(super) fn document_scope() -> Schema {
    codes(&["connections", "servicing"]).into()
}

pub(super) fn direction() -> Schema {
    codes(&[
        "applicant_to_operator",
        "applicant_to_holder",
        "operator_to_applicant",
    ])
    .into()
}

pub(super) fn due_when() -> Schema {
    codes(&["before_works", "after_works", "at_deed"]).into()
}

pub(super) fn dossier_rule() -> Schema {
    codes(&["V-3.1"]).into()
}

pub(super) fn invoice_status() -> Schema {
    codes(&["due", "overdue", "paid"]).into()
}

pub(super) fn actor_kind() -> Schema {
    codes(&["applicant", "staff", "system", "api_key"]).into()
}

pub(super) fn permit_action() -> Schema {
    codes(&[
        "approve",
        "approve_with_conditions",
        "request_information",
        "refuse",
    ])
    .into()
}

pub(super) fn road_type() -> Schema {
    codes(&["communal", "regional"]).into()
}

pub(super) fn answer_action() -> Schema {
    codes(&[
        "prerequisite_met",
        "refuse",
        "note",
        "edit_line",
        "add_line",
        "remove_line",
    ])
    .into()
}

/// V-4.1d: the works a servicing's flat rate does not cover, quoted separately.
pub(super) fn study_exclusions() -> Schema {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(codes(
            &crate::domain::servicing::EXCLUSIONS.map(crate::domain::servicing::exclusion_code),
        ))
        .into()
}

/// Where a reserved joint day stands.
pub(super) fn booking_state() -> Schema {
    codes(&["reserved", "confirmed", "cancelled"]).into()
}

/// A number given as a JSON number (at least 0) or as the page's text field.
pub(super) fn number_or_text() -> Schema {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .minimum(Some(0)),
            )
            .item(ObjectBuilder::new().schema_type(Type::String))
            .build(),
    )
}

/// The operator's answer as stored, or null before the first.
pub(super) fn stored_answer() -> Schema {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(ObjectBuilder::new().schema_type(Type::Object))
            .description(Some(
                "The answer as stored: feasibility, written reasons, note, refusals with their \
                 rule, prerequisites (code, met), crew need, lead time and the priced lines \
                 (numbered from 0 for edit_line and remove_line); null before the first answer",
            ))
            .build(),
    )
}
