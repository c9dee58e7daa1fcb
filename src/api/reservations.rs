//! An operator's planning system reads the joint days its crews are booked on (issue 21),
//! with the request's place and how far it is; the coordinator reads every crew of its
//! requests. Never another operator's crews (tenant rule).

use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use base64::Engine;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ErrorResponse, JsonQuery, doc};
use crate::domain::RequestId;
use crate::domain::tenancy::OrganisationKind;
use crate::{
    http::{error::ApiError, extract::Staff},
    services::crews::{self, BookedDay, BookedFilter},
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReservationsQuery {
    /// Joint days on or after this day (`YYYY-MM-DD`).
    from: String,
    /// Joint days on or before this day.
    to: String,
    /// The `next_cursor` of the page before.
    cursor: String,
    /// Joint days per page: 50 by default, 200 at most.
    limit: String,
}

/// A crew booked on the joint day.
#[derive(Serialize, ToSchema)]
#[schema(as = BookedCrew)]
struct BookedCrewJson {
    /// The service it works for.
    service: String,
    /// The crew's name.
    crew: String,
    /// When its works were recorded as done; null before.
    #[schema(format = DateTime)]
    works_done_at: Option<String>,
}

/// A request's joint day (rule C-4) with the caller's crews booked on it.
#[derive(Serialize, ToSchema)]
#[schema(as = Reservation)]
struct ReservationJson {
    #[schema(value_type = String, format = Uuid)]
    request_id: RequestId,
    #[schema(example = "CMH-2026-000123")]
    reference: String,
    #[schema(format = Date)]
    day: String,
    /// `reserved`: not yet confirmed to the applicant (a payment or the permit to come);
    /// `confirmed`: the request is scheduled, or its works done; `cancelled`: the request
    /// ended without works (withdrawn, refused, lapsed). A day the case officer cancelled frees
    /// its crews and is no longer listed.
    #[schema(schema_with = doc::booking_state)]
    state: String,
    /// The request's state (see `Request.state`).
    request_state: String,
    commune: String,
    /// The commune's NIS code.
    commune_nis: String,
    /// The site as the operator's day sheet writes it.
    address: String,
    /// The caller's crews booked that day: its own for an operator, every one for the
    /// coordinator.
    crews: Vec<BookedCrewJson>,
    /// The request as the caller may see it.
    request: String,
}

impl From<BookedDay> for ReservationJson {
    fn from(day: BookedDay) -> Self {
        ReservationJson {
            request: format!("/api/v1/requests/{}", day.request_id),
            request_id: day.request_id,
            reference: day.reference,
            day: day.day.to_string(),
            state: day.state.code().to_owned(),
            request_state: day.request_state,
            commune: day.commune,
            commune_nis: day.commune_nis,
            address: day.address,
            crews: day
                .crews
                .into_iter()
                .map(|c| BookedCrewJson {
                    service: c.service,
                    crew: c.crew,
                    works_done_at: c.done_at,
                })
                .collect(),
        }
    }
}

/// A page of joint days.
#[derive(Serialize, ToSchema)]
struct ReservationsPage {
    items: Vec<ReservationJson>,
    /// Give it as `cursor` for the next page; none on the last page.
    next_cursor: Option<String>,
}

fn cursor_of(day: &BookedDay) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{}\n{}", day.day, day.request_id))
}

fn read_cursor(text: &str) -> Option<(NaiveDate, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (day, id) = text.split_once('\n')?;
    let day = crate::clock::parse_day(day)?;
    uuid::Uuid::parse_str(id).ok()?;
    Some((day, id.to_owned()))
}

fn day_of(text: &str) -> Result<Option<NaiveDate>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        text => crate::clock::parse_day(text)
            .map(Some)
            .ok_or_else(|| ApiError::Invalid(format!("query: {text:?} is no date (YYYY-MM-DD)"))),
    }
}

/// The joint days the caller's crews are booked on, earliest first, a page at a time.
#[utoipa::path(
    get,
    path = "/reservations",
    operation_id = "listReservations",
    tag = "crews",
    summary = "The joint days the operator's crews are booked on (the coordinator: every crew of its requests), earliest first, a page at a time (cursor)",
    description = "For an operator's staff or keys, and the coordinator's; anybody else: 404. An operator sees its own crews only, never another operator's. Follow next_cursor (or the Link header, rel=\"next\") until it is null.",
    params(
        ("from" = Option<chrono::NaiveDate>, Query, description = "Joint days on or after this day"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Joint days on or before this day"),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the page before"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Joint days per page (50 by default)"),
    ),
    responses(
        (status = 200, description = "A page of joint days", body = ReservationsPage,
            headers(("Link" = String, description = "The next page (rel=\"next\"), when there is one")),
            links(("GetRequest" = (operation_id = "getRequest", parameters(("id" = "$response.body#/items/0/request_id")), description = "The request of the first joint day")))
        ),
        (status = 401, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 422, response = ErrorResponse),
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    JsonQuery(query): JsonQuery<ReservationsQuery>,
) -> Result<Response, ApiError> {
    // Only operators have crews, and the coordinator reserves the days; a commune has none.
    if staff.user.organisation_kind != OrganisationKind::Operator && !staff.user.is_coordinator() {
        return Err(ApiError::NotFound);
    }
    let after = match query.cursor.trim() {
        "" => None,
        text => Some(
            read_cursor(text)
                .ok_or_else(|| ApiError::Invalid("query: the cursor is not readable".into()))?,
        ),
    };
    let limit = match query.limit.trim() {
        "" => 50,
        text => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=crews::BOOKED_PAGE_MAX).contains(n))
            .ok_or_else(|| {
                ApiError::Invalid(format!(
                    "query: limit is a number from 1 to {}",
                    crews::BOOKED_PAGE_MAX
                ))
            })?,
    };
    let filter = BookedFilter {
        from: day_of(&query.from)?,
        to: day_of(&query.to)?,
        after,
    };
    let (days, more) = crews::booked_days(&state, &staff.user, &filter, limit).await?;
    let next_cursor = more.then(|| days.last().map(cursor_of)).flatten();
    let headers = super::next_page_link(
        "/api/v1/reservations",
        &[
            ("from", &query.from),
            ("to", &query.to),
            ("limit", &query.limit),
        ],
        next_cursor.as_deref(),
    );
    Ok((
        headers,
        Json(ReservationsPage {
            items: days.into_iter().map(ReservationJson::from).collect(),
            next_cursor,
        }),
    )
        .into_response())
}
