//! Bank statements (issue 21): the coordinator's staff (under /backoffice) and each operator's
//! staff for their own account (under /operator) upload CODA files, see what each credit paid,
//! and assign by hand or set aside the credits that could not be matched.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{
        DefaultBodyLimit, Multipart, OriginalUri, Query, State, multipart::MultipartRejection,
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{
    backoffice::Notice,
    csrf,
    error::PageError,
    extract::{CsrfForm, Staff},
    upload::read_upload,
    views::{Frame, local_datetime_in},
};
use crate::domain::{DueId, StatementId, StatementLineId};
use crate::http::extract::IdPath;
use crate::{
    http::refusal::statement_refusal,
    i18n::Tr,
    services::statements::{
        self, Assigned, FILE_MAX_BYTES, LineView, PayeeChoice, Reconciler, StatementError,
        StatementView, UploadSummary,
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    let upload_limit = DefaultBodyLimit::max(
        usize::try_from(FILE_MAX_BYTES * 2 + 64 * 1024).unwrap_or(usize::MAX),
    );
    Router::new()
        .route(
            "/backoffice/statements",
            get(overview).post(upload).layer(upload_limit),
        )
        .route("/backoffice/statements/{id}", get(statement))
        .route("/backoffice/statements/lines/{id}/assign", post(assign))
        .route(
            "/backoffice/statements/lines/{id}/set-aside",
            post(set_aside),
        )
        .route(
            "/operator/statements",
            get(overview).post(upload).layer(upload_limit),
        )
        .route("/operator/statements/{id}", get(statement))
        .route("/operator/statements/lines/{id}/assign", post(assign))
        .route("/operator/statements/lines/{id}/set-aside", post(set_aside))
}

/// The coordinator's statements, for every due of its requests.
const COORDINATOR: &str = "/backoffice/statements";
/// An operator's statements, for its own dues.
const OPERATOR: &str = "/operator/statements";

/// Whose statements the address is about, and the user's role there: each audience has its
/// own address, anybody else gets 404 (the pages hold a tenant's data).
fn audience(staff: &Staff, uri: &OriginalUri) -> Result<(Reconciler, &'static str), PageError> {
    let base = if uri.0.path().starts_with(OPERATOR) {
        OPERATOR
    } else {
        COORDINATOR
    };
    match (Reconciler::of(&staff.user), base) {
        (Some(reconciler @ Reconciler::Coordinator), COORDINATOR) => Ok((reconciler, base)),
        (Some(reconciler @ Reconciler::Operator(_)), OPERATOR) => Ok((reconciler, base)),
        _ => Err(PageError::NotFound),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/statements.html")]
struct StatementsPage {
    tr: Tr,
    page: Frame,
    /// `/backoffice/statements` or `/operator/statements`.
    base: &'static str,
    notice: Option<Notice>,
    summary: Option<UploadSummary>,
    to_assign: Vec<LineView>,
    statements: Vec<StatementView>,
    /// The line whose assignment needs a payee chosen, with the reference typed.
    choosing: Option<(StatementLineId, String, Vec<PayeeChoice>)>,
}

/// Shared by the overview and a statement's page.
trait LineFormat {
    fn tr(&self) -> Tr;

    fn day(&self, day: &NaiveDate) -> String {
        self.tr().numeric_date(*day)
    }

    fn amount(&self, amount: &Decimal) -> String {
        self.tr().money(*amount)
    }

    /// What became of a line, in words: its outcome, and for a line to assign, why.
    fn outcome(&self, line: &LineView) -> String {
        let tr = self.tr();
        let outcome = tr.keyed("statements.outcome", &line.outcome);
        match &line.reason {
            Some(reason) if line.outcome == "to_assign" => {
                format!("{outcome} — {}", tr.keyed("statements.reason", reason))
            }
            _ => outcome,
        }
    }
}

impl LineFormat for StatementsPage {
    fn tr(&self) -> Tr {
        self.tr
    }
}

impl StatementsPage {
    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/statement.html")]
struct StatementPage {
    tr: Tr,
    page: Frame,
    base: &'static str,
    label: String,
    lines: Vec<LineView>,
}

impl LineFormat for StatementPage {
    fn tr(&self) -> Tr {
        self.tr
    }
}

async fn render(
    state: &AppState,
    staff: Staff,
    base: &'static str,
    notice: Option<Notice>,
    summary: Option<UploadSummary>,
    choosing: Option<(StatementLineId, String, Vec<PayeeChoice>)>,
) -> Result<StatementsPage, PageError> {
    let overview = statements::overview(state, &staff.user, staff.tr).await?;
    Ok(StatementsPage {
        tr: staff.tr,
        page: staff.frame,
        base,
        notice,
        summary,
        to_assign: overview.to_assign,
        statements: overview.statements,
        choosing,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OverviewQuery {
    /// Set after an assignment or a line set aside: what was done.
    done: String,
}

async fn overview(
    State(state): State<AppState>,
    staff: Staff,
    uri: OriginalUri,
    Query(query): Query<OverviewQuery>,
) -> Result<StatementsPage, PageError> {
    let (_, base) = audience(&staff, &uri)?;
    let notice = match query.done.as_str() {
        "paid" | "partial" | "over" | "ignored" => Some(Notice {
            error: false,
            text: staff.tr.keyed("statements.done", &query.done),
        }),
        _ => None,
    };
    render(&state, staff, base, notice, None, None).await
}

/// Why a statement action was refused, in the user's words, with its rule where one decides.
fn refusal(tr: Tr, error: StatementError) -> Result<String, PageError> {
    match error {
        StatementError::Db(db) => Err(db.into()),
        other => Ok(statement_refusal(tr, &other)),
    }
}

async fn refused(
    state: &AppState,
    staff: Staff,
    base: &'static str,
    error: StatementError,
    choosing: Option<(StatementLineId, String, Vec<PayeeChoice>)>,
) -> Result<Response, PageError> {
    let text = refusal(staff.tr, error)?;
    let page = render(
        state,
        staff,
        base,
        Some(Notice { error: true, text }),
        None,
        choosing,
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Reads the uploaded statement and registers its credits; the page then says what each did.
async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    uri: OriginalUri,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let (reconciler, base) = audience(&staff, &uri)?;
    let mut multipart =
        multipart.map_err(|_| PageError::BadRequest("multipart form expected".into()))?;
    let form = read_upload(&mut multipart, FILE_MAX_BYTES).await?;
    csrf::check(&headers, &form.csrf_token)?;
    if form.too_large {
        let error = StatementError::TooLarge {
            max_mb: FILE_MAX_BYTES.div_ceil(1024 * 1024),
        };
        return refused(&state, staff, base, error, None).await;
    }
    match statements::upload(
        &state,
        &staff.user,
        reconciler,
        &form.filename,
        &form.bytes,
        state.clock.now(),
    )
    .await
    {
        Ok(summary) => {
            let page = render(&state, staff, base, None, Some(summary), None).await?;
            Ok(page.into_response())
        }
        Err(error) => refused(&state, staff, base, error, None).await,
    }
}

async fn statement(
    State(state): State<AppState>,
    staff: Staff,
    uri: OriginalUri,
    IdPath(id): IdPath<StatementId>,
) -> Result<StatementPage, PageError> {
    let (_, base) = audience(&staff, &uri)?;
    let lines = statements::lines(&state, &staff.user, staff.tr, id).await?;
    Ok(StatementPage {
        label: lines
            .first()
            .map(|line| line.statement.clone())
            .unwrap_or_default(),
        tr: staff.tr,
        page: staff.frame,
        base,
        lines,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AssignForm {
    reference: String,
    /// The payee chosen when the request has several.
    due: String,
}

async fn assign(
    State(state): State<AppState>,
    staff: Staff,
    uri: OriginalUri,
    IdPath(id): IdPath<StatementLineId>,
    CsrfForm(form): CsrfForm<AssignForm>,
) -> Result<Response, PageError> {
    let (reconciler, base) = audience(&staff, &uri)?;
    // A payee that names no due of the request is no choice: the officer is asked again.
    let due = match form.due.trim() {
        "" => Ok(None),
        text => text
            .parse::<DueId>()
            .map(Some)
            .map_err(|_| StatementError::ChoosePayee),
    };
    let outcome = match due {
        Ok(due) => {
            statements::assign(
                &state,
                &staff.user,
                reconciler,
                id,
                &form.reference,
                due,
                state.clock.now(),
            )
            .await
        }
        Err(refused) => Err(refused),
    };
    match outcome {
        Ok(Assigned::Registered(outcome)) => {
            Ok(Redirect::to(&format!("{base}?done={outcome}")).into_response())
        }
        Ok(Assigned::Choose(payees)) => {
            let page = render(
                &state,
                staff,
                base,
                None,
                None,
                Some((id, form.reference.trim().to_uppercase(), payees)),
            )
            .await?;
            Ok(page.into_response())
        }
        Err(error) => refused(&state, staff, base, error, None).await,
    }
}

async fn set_aside(
    State(state): State<AppState>,
    staff: Staff,
    uri: OriginalUri,
    IdPath(id): IdPath<StatementLineId>,
    CsrfForm(_form): CsrfForm<AssignForm>,
) -> Result<Response, PageError> {
    let (_, base) = audience(&staff, &uri)?;
    match statements::set_aside(&state, &staff.user, id, state.clock.now()).await {
        Ok(()) => Ok(Redirect::to(&format!("{base}?done=ignored")).into_response()),
        Err(error) => refused(&state, staff, base, error, None).await,
    }
}
