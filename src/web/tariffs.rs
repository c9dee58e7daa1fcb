//! The operator administrator's tariff page: the books of their operator with their validity,
//! and the upload of a new version as TOML text (no JavaScript, no multipart). A refusal
//! shows the validator's exact error and keeps the text; nothing is saved then.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{
    backoffice::Notice,
    error::PageError,
    extract::{CsrfForm, Staff},
    views::{Frame, local_datetime_in, warned_frame},
};
use crate::{
    i18n::Tr,
    services::books::{self, Upload, UploadError},
    state::AppState,
    tariff::{Operator, Tariffs, gap::operator_name},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/operator/tariffs", get(page).post(upload))
}

/// The operator whose books the signed-in user administers. Anyone else gets 403, not 404:
/// the page is the same address for every operator and holds no tenant's data by itself, so
/// there is nothing to hide by pretending it does not exist (like /admin/outbox); a tenant's
/// records, such as a request, answer 404 instead.
async fn administered(state: &AppState, staff: &Staff) -> Result<Operator, PageError> {
    books::administered_operator(state, &staff.user)
        .await?
        .ok_or(PageError::Forbidden)
}

pub struct BookView {
    pub version: String,
    pub valid_from: String,
    pub valid_until: String,
    /// In force today, past or upcoming (translated).
    pub period: String,
    pub in_force: bool,
    pub illustrative: bool,
    /// Uploaded through this page rather than shipped with the application.
    pub uploaded: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/tariffs.html")]
struct TariffsPage {
    tr: Tr,
    page: Frame,
    operator: &'static str,
    books: Vec<BookView>,
    uploads: Vec<Upload>,
    notice: Option<Notice>,
    /// The validator's exact message, shown as written.
    refusal: Option<String>,
    /// The text of the form, kept after a refusal.
    text: String,
}

impl TariffsPage {
    fn day(&self, day: &NaiveDate) -> String {
        self.tr.numeric_date(*day)
    }

    fn when(&self, at: &DateTime<Utc>) -> String {
        local_datetime_in(self.tr, at)
    }
}

fn book_views(tr: Tr, tariffs: &Tariffs, operator: Operator, today: NaiveDate) -> Vec<BookView> {
    let shipped = &Tariffs::embedded().books;
    let mut views: Vec<BookView> = tariffs
        .books
        .books()
        .iter()
        .filter(|b| b.operator() == operator)
        .map(|b| {
            let header = &b.book;
            let period = if b.in_force_on(today) {
                "in_force"
            } else if header.valid_until < today {
                "past"
            } else {
                "upcoming"
            };
            BookView {
                version: header.version.clone(),
                valid_from: header.valid_from.format("%d/%m/%Y").to_string(),
                valid_until: header.valid_until.format("%d/%m/%Y").to_string(),
                period: tr.keyed("tariff_books.period", period),
                in_force: period == "in_force",
                illustrative: header.illustrative,
                uploaded: !shipped.books().iter().any(|s| s.version() == b.version()),
            }
        })
        .collect();
    // Latest first: the page is mostly about the coming year.
    views.reverse();
    views
}

async fn render(
    state: &AppState,
    staff: Staff,
    operator: Operator,
    notice: Option<Notice>,
    refusal: Option<String>,
    text: String,
) -> Result<TariffsPage, PageError> {
    let today = state.clock.today();
    Ok(TariffsPage {
        books: book_views(staff.tr, &*books::current(state).await?, operator, today),
        uploads: books::uploads(state, &staff.user.scope()).await?,
        tr: staff.tr,
        page: warned_frame(state, &staff).await?,
        operator: operator_name(operator),
        notice,
        refusal,
        text,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageQuery {
    saved: String,
}

async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<PageQuery>,
) -> Result<TariffsPage, PageError> {
    let operator = administered(&state, &staff).await?;
    let notice = (!query.saved.is_empty()).then(|| Notice {
        error: false,
        text: staff
            .tr
            .f("tariff_books.saved", [("version", query.saved.as_str())]),
    });
    render(&state, staff, operator, notice, None, String::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UploadForm {
    book: String,
}

async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<UploadForm>,
) -> Result<Response, PageError> {
    let operator = administered(&state, &staff).await?;
    match books::upload(&state, &staff.user, operator, &form.book, state.clock.now()).await {
        Ok(book) => {
            let query = serde_urlencoded::to_string([("saved", book.version())])
                .map_err(|_| PageError::Internal)?;
            Ok(Redirect::to(&format!("/operator/tariffs?{query}")).into_response())
        }
        Err(UploadError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let notice = Notice {
                error: true,
                text: staff.tr.t("tariff_books.refused").to_owned(),
            };
            let page = render(
                &state,
                staff,
                operator,
                Some(notice),
                Some(refused.to_string()),
                form.book,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
