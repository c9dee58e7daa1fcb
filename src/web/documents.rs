//! Documents on the pages: the applicant uploads on the status page (a plain multipart form),
//! the case officer sees them with the completeness checklist, asks for what is missing and
//! marks the request complete; operator staff read the documents that concern them. Every
//! download goes through an authorisation check; a document one may not read does not exist.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path, State, multipart::MultipartRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    backoffice::{self, Notice},
    csrf,
    error::PageError,
    extract::{CsrfForm, Ctx, Staff},
    upload::read_upload,
    views::{Frame, local_datetime_in},
};
use crate::domain::tenancy::OrganisationKind;
use crate::domain::{AssessmentId, DocumentId, RequestId};
use crate::http::extract::{IdPath, page_id};
use crate::{
    domain::{DocumentKind, FileRefusal, FileType, Language, tenancy::SessionUser},
    i18n::Tr,
    services::{
        DbError,
        case_file::{self, ApplicantCaseFile, RequestRow, StaffCaseFile},
        documents::{
            self as service, ChecklistItem, DocumentError, Download, ItemStatus, Upload, Uploader,
        },
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        // The only routes taking large bodies: the handlers read at most the configured size.
        .route(
            "/track/{token}/documents",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/track/{token}/documents/{document}",
            get(applicant_download),
        )
        .route(
            "/backoffice/requests/{id}/documents/{document}",
            get(coordinator_download),
        )
        .route(
            "/backoffice/requests/{id}/documents",
            post(staff_upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/backoffice/requests/{id}/documents/{document}/kind",
            post(reclassify),
        )
        .route(
            "/backoffice/requests/{id}/documents/{document}/withdraw",
            post(withdraw),
        )
        .route("/backoffice/requests/{id}/missing", post(ask_for_missing))
        .route("/backoffice/requests/{id}/complete", post(mark_complete))
        .route("/operator/assessments/{id}", get(operator_documents))
        .route(
            "/operator/assessments/{id}/documents/{document}",
            get(operator_download),
        )
}

/// A document as a page lists it.
pub struct DocumentView {
    pub id: DocumentId,
    /// The kind's code, to preselect it in the officer's correction form.
    pub kind_code: String,
    pub kind: String,
    pub filename: String,
    pub size: String,
    pub content_type: String,
    pub received: String,
    pub by_staff: bool,
    pub download_url: String,
}

fn size_label(tr: Tr, bytes: i64) -> String {
    const MB: i64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = (bytes * 10 + MB / 2) / MB;
        let value = format!("{}.{}", tenths / 10, tenths % 10);
        let value = match tr.language() {
            Language::Fr | Language::De | Language::Nl => value.replace('.', ","),
            Language::En => value,
        };
        tr.f("documents.size_mb", [("size", value.as_str())])
    } else {
        let kb = (bytes + 1023) / 1024;
        tr.f("documents.size_kb", [("size", kb.to_string().as_str())])
    }
}

fn kind_of(tr: Tr, kind: &str) -> String {
    kind.parse::<DocumentKind>()
        .map(|kind| service::kind_label(tr, kind))
        .unwrap_or_else(|_| kind.to_owned())
}

fn view(tr: Tr, document: &case_file::DocumentView) -> DocumentView {
    DocumentView {
        id: document.id,
        kind_code: document.kind.clone(),
        kind: kind_of(tr, &document.kind),
        filename: document.filename.clone(),
        size: size_label(tr, document.size_bytes),
        content_type: FileType::from_content_type(&document.content_type)
            .map(|t| t.label().to_owned())
            .unwrap_or_else(|| document.content_type.clone()),
        received: local_datetime_in(tr, document.created_at),
        by_staff: document.uploaded_by == "staff",
        download_url: document.download_url.clone(),
    }
}

/// Every kind of document, for a form's choice: (code, label).
fn all_kinds(tr: Tr) -> Vec<(String, String)> {
    DocumentKind::ALL
        .iter()
        .map(|kind| (kind.code().to_owned(), service::kind_label(tr, *kind)))
        .collect()
}

fn internal(error: DocumentError) -> PageError {
    match error {
        DocumentError::Db(error) => error.into(),
        other => {
            tracing::error!(error = %other, "documents");
            PageError::Internal
        }
    }
}

// ---------------------------------------------------------------- the applicant's status page

/// The documents part of the status page.
pub struct ApplicantSection {
    pub documents: Vec<DocumentView>,
    /// Every kind, for the form: (code, label).
    pub kinds: Vec<(String, String)>,
    /// What the operators still need from the applicant: "label — by when".
    pub asked: Vec<String>,
    /// The request still takes documents.
    pub open: bool,
    pub max_mb: u64,
    pub notice: Option<Notice>,
}

impl ApplicantSection {
    /// The section of the applicant's case file (`max_bytes`: the upload limit).
    pub fn of(tr: Tr, file: &ApplicantCaseFile, max_bytes: u64, notice: Option<Notice>) -> Self {
        ApplicantSection {
            documents: file.documents.iter().map(|d| view(tr, d)).collect(),
            kinds: all_kinds(tr),
            asked: service::ask_lines(tr, &file.checklist),
            open: file.documents_open,
            max_mb: max_bytes.div_ceil(1024 * 1024),
            notice,
        }
    }
}

/// Reads an upload form whose CSRF token matches the visitor's cookie, then checks and
/// stores the document (see [`service::upload`]).
async fn receive(
    state: &AppState,
    request: &RequestRow,
    uploader: Uploader<'_>,
    headers: &HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Result<(), DocumentError>, PageError> {
    let mut multipart =
        multipart.map_err(|_| PageError::BadRequest("multipart form expected".into()))?;
    let form = read_upload(&mut multipart, state.config.upload_max_bytes).await?;
    csrf::check(headers, &form.csrf_token)?;
    if form.too_large {
        return Ok(Err(DocumentError::Refused(FileRefusal::TooLarge {
            max_mb: state.config.upload_max_bytes.div_ceil(1024 * 1024),
        })));
    }
    let upload = Upload {
        kind: form.text("kind").parse().ok(),
        filename: &form.filename,
        bytes: &form.bytes,
    };
    Ok(
        service::upload(state, request, uploader, upload, state.clock.now())
            .await
            .map(|_| ()),
    )
}

/// The applicant uploads a document through the private link. Every refusal says why, on
/// the status page, and saves nothing.
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let request = super::public::request_of_token(&state, &token).await?;
    let outcome = receive(&state, &request, Uploader::Applicant, &headers, multipart).await?;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/track/{token}?uploaded=1#documents")).into_response()),
        Err(refused) => {
            let text = upload_refusal(ctx.tr, refused)?;
            // Read again: a refusal may follow another's write (the request just closed).
            let request = super::public::request_of_token(&state, &token).await?;
            super::public::render_track_with(
                &state,
                ctx,
                request,
                token,
                None,
                Some(Notice { error: true, text }),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// Why an upload was refused, in the reader's language; internal failures stay errors.
fn upload_refusal(tr: Tr, error: DocumentError) -> Result<String, PageError> {
    Ok(match error {
        DocumentError::Refused(refusal) => {
            let args = refusal.args();
            let borrowed: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            tr.f(&format!("documents.refused.{}", refusal.key()), &borrowed)
        }
        DocumentError::KindRequired => tr.t("documents.refused.kind").to_owned(),
        DocumentError::Closed => tr.t("documents.refused.closed").to_owned(),
        other => return Err(internal(other)),
    })
}

/// The file itself, for a reader already authorised; never cached, never shown inline.
fn file_response(download: Download) -> Response {
    let content_type = FileType::from_content_type(&download.row.content_type)
        .map(FileType::content_type)
        .unwrap_or("application/octet-stream");
    let disposition = content_disposition(&download.row.filename);
    let mut response = download.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// `attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266, RFC 8187).
fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

async fn applicant_download(
    State(state): State<AppState>,
    Path((token, document)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let request = super::public::request_of_token(&state, &token).await?;
    service::download_of_request(&state, &request, page_id(&document)?)
        .await
        .map_err(internal)?
        .map(file_response)
        .ok_or(PageError::NotFound)
}

// ---------------------------------------------------------------- staff pages

/// A row of the completeness checklist, translated.
pub struct ChecklistRow {
    pub label: String,
    pub operator: String,
    pub rule: String,
    pub deadline: String,
    pub status: &'static str,
    pub required: bool,
}

pub struct ChecklistView {
    pub rows: Vec<ChecklistRow>,
    pub unanswered: usize,
    pub missing: usize,
    pub missing_required: usize,
    /// The request's state lets the officer ask the applicant / mark it complete.
    pub can_ask: bool,
    pub can_complete: bool,
}

/// The documents part of the request page: the documents the reader may open and, for the
/// case officer, the completeness checklist and its two actions.
pub struct OfficePanel {
    pub documents: Vec<DocumentView>,
    /// For the case officer's upload form: every kind (code, label) and the size limit.
    pub kinds: Vec<(String, String)>,
    pub max_mb: u64,
    pub checklist: Option<ChecklistView>,
    pub notice: Option<Notice>,
}

fn status_code(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Received => "received",
        ItemStatus::Met => "met",
        ItemStatus::Missing => "missing",
    }
}

impl OfficePanel {
    /// The documents part of the staff case file; `None` for a reader who is neither the
    /// coordinator nor an operator.
    pub fn of(tr: Tr, user: &SessionUser, file: &StaffCaseFile, max_bytes: u64) -> Option<Self> {
        if !file.coordinator && user.organisation_kind != OrganisationKind::Operator {
            return None;
        }
        let checklist = file.checklist.as_ref().map(|checklist| ChecklistView {
            rows: checklist
                .items
                .iter()
                .map(|item| ChecklistRow {
                    label: service::prerequisite_label(tr, &item.prerequisite),
                    operator: item.operator.clone(),
                    rule: item.prerequisite.rule.clone(),
                    deadline: service::deadline_label(tr, item.prerequisite.deadline),
                    status: status_code(item.status),
                    required: item.required_now(),
                })
                .collect(),
            unanswered: checklist.unanswered,
            missing: checklist.missing().count(),
            missing_required: checklist.missing_required().len(),
            can_ask: service::ASKABLE_STATES.contains(&file.request.state),
            can_complete: service::COMPLETABLE_STATES.contains(&file.request.state),
        });
        Some(OfficePanel {
            documents: file.documents.iter().map(|d| view(tr, d)).collect(),
            kinds: all_kinds(tr),
            max_mb: max_bytes.div_ceil(1024 * 1024),
            checklist,
            notice: None,
        })
    }
}

async fn coordinator_download(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, document)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id: RequestId = page_id(&id)?;
    service::download_for_coordinator(&state, &staff.user.scope(), id, page_id(&document)?)
        .await
        .map_err(internal)?
        .map(file_response)
        .ok_or(PageError::NotFound)
}

async fn operator_download(
    State(state): State<AppState>,
    staff: Staff,
    Path((assessment, document)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let assessment: AssessmentId = page_id(&assessment)?;
    service::download_for_operator(&state, &staff.user.scope(), assessment, page_id(&document)?)
        .await
        .map_err(internal)?
        .map(file_response)
        .ok_or(PageError::NotFound)
}

#[derive(Template, WebTemplate)]
#[template(path = "backoffice/operator_documents.html")]
struct OperatorDocumentsPage {
    tr: Tr,
    page: Frame,
    request: RequestRow,
    documents: Vec<DocumentView>,
}

/// Operator staff: the documents of one of their assessments' requests that concern them.
async fn operator_documents(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(assessment): IdPath<AssessmentId>,
) -> Result<OperatorDocumentsPage, PageError> {
    let (request, rows) = service::of_own_assessment(&state, &staff.user.scope(), assessment)
        .await
        .map_err(internal)?
        .ok_or(PageError::NotFound)?;
    let tr = staff.tr;
    let documents = rows
        .into_iter()
        .map(|row| {
            let url = format!("/operator/assessments/{assessment}/documents/{}", row.id);
            view(tr, &case_file::DocumentView::of(row, url))
        })
        .collect();
    Ok(OperatorDocumentsPage {
        documents,
        tr,
        page: staff.frame,
        request,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OfficerForm {
    message: String,
    reason: String,
}

/// The case officer adds a document received another way (by post, at the counter).
async fn staff_upload(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let request = backoffice::coordinator_request(&state, &staff, id).await?;
    let outcome = receive(
        &state,
        &request,
        Uploader::Staff(&staff.user),
        &headers,
        multipart,
    )
    .await?;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/backoffice/requests/{id}?documents=uploaded#documents"
        ))
        .into_response()),
        Err(refused) => {
            let text = upload_refusal(staff.tr, refused)?;
            refused_on_detail(&state, staff, id, text).await
        }
    }
}

/// The case officer asks the applicant for the missing documents: one email, state
/// `incomplete`.
async fn ask_for_missing(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<OfficerForm>,
) -> Result<Response, PageError> {
    let request = backoffice::coordinator_request(&state, &staff, id).await?;
    match service::ask_for_missing(
        &state,
        &staff.user,
        &request,
        &form.message,
        state.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/backoffice/requests/{id}?documents=asked#documents"
        ))
        .into_response()),
        Err(refused) => {
            let text = officer_refusal(staff.tr, refused)?;
            refused_on_detail(&state, staff, id, text).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DocumentActionForm {
    kind: String,
    reason: String,
}

/// The case officer corrects what a document is, with a reason.
async fn reclassify(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, document)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<DocumentActionForm>,
) -> Result<Response, PageError> {
    let id: RequestId = page_id(&id)?;
    let request = backoffice::coordinator_request(&state, &staff, id).await?;
    let kind = form.kind.parse::<DocumentKind>().ok();
    let done = service::reclassify(
        &state,
        &staff.user,
        &request,
        page_id(&document)?,
        kind,
        &form.reason,
        state.clock.now(),
    )
    .await;
    after_document_action(&state, staff, id, done, "reclassified").await
}

/// The case officer withdraws a document sent by mistake, with a reason.
async fn withdraw(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, document)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<DocumentActionForm>,
) -> Result<Response, PageError> {
    let id: RequestId = page_id(&id)?;
    let request = backoffice::coordinator_request(&state, &staff, id).await?;
    let done = service::withdraw(
        &state,
        &staff.user,
        &request,
        page_id(&document)?,
        &form.reason,
        state.clock.now(),
    )
    .await;
    after_document_action(&state, staff, id, done, "withdrawn").await
}

/// Back to the documents with the confirmation, or the request page with why it was refused.
async fn after_document_action(
    state: &AppState,
    staff: Staff,
    id: RequestId,
    done: Result<(), DocumentError>,
    confirmation: &str,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!(
            "/backoffice/requests/{id}?documents={confirmation}#documents"
        ))
        .into_response()),
        Err(DocumentError::Db(DbError::NotFound)) => Err(PageError::NotFound),
        Err(DocumentError::KindRequired) => {
            let text = staff.tr.t("documents.refused.kind").to_owned();
            refused_on_detail(state, staff, id, text).await
        }
        Err(DocumentError::Invalid(input)) => {
            let text = format!(
                "{} {}",
                staff.tr.t("documents.correct.reason"),
                staff.tr.error(&input)
            );
            refused_on_detail(state, staff, id, text).await
        }
        Err(DocumentError::Closed) => {
            let text = staff.tr.t("documents.refused.closed").to_owned();
            refused_on_detail(state, staff, id, text).await
        }
        Err(other) => Err(internal(other)),
    }
}

/// The case officer marks the request complete (refused with the list while documents needed
/// before the offer are missing, unless a reason is given).
async fn mark_complete(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<OfficerForm>,
) -> Result<Response, PageError> {
    let request = backoffice::coordinator_request(&state, &staff, id).await?;
    match service::mark_complete(
        &state,
        &staff.user,
        &request,
        &form.reason,
        state.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/backoffice/requests/{id}?documents=complete#documents"
        ))
        .into_response()),
        Err(refused) => {
            let text = officer_refusal(staff.tr, refused)?;
            refused_on_detail(&state, staff, id, text).await
        }
    }
}

fn officer_refusal(tr: Tr, error: DocumentError) -> Result<String, PageError> {
    Ok(match error {
        DocumentError::StillMissing(items) => {
            let labels: Vec<String> = items.iter().map(|item| missing_line(tr, item)).collect();
            tr.f(
                "documents.still_missing",
                [("list", labels.join(" ; ").as_str())],
            )
        }
        DocumentError::NothingMissing => tr.t("documents.nothing_missing").to_owned(),
        DocumentError::WrongState(state) => tr.f(
            "documents.wrong_state",
            [("state", tr.state(&state).as_str())],
        ),
        DocumentError::Invalid(input) => {
            format!("{} {}", tr.t("documents.message_label"), tr.error(&input))
        }
        other => return Err(internal(other)),
    })
}

fn missing_line(tr: Tr, item: &ChecklistItem) -> String {
    format!(
        "{} ({}, {})",
        service::prerequisite_label(tr, &item.prerequisite),
        item.operator,
        item.prerequisite.rule
    )
}

/// The request page again with why the action was refused, in the documents section.
async fn refused_on_detail(
    state: &AppState,
    staff: Staff,
    id: RequestId,
    text: String,
) -> Result<Response, PageError> {
    backoffice::render_detail(
        state,
        staff,
        id,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
        |page| {
            if let Some(panel) = page.docs.as_mut() {
                panel.notice = Some(Notice { error: true, text });
            }
        },
    )
    .await
}

/// The confirmation of an action just done, from the `documents` query parameter.
pub fn done_notice(tr: Tr, done: &str) -> Option<Notice> {
    let key = match done {
        "asked" => "documents.asked",
        "complete" => "documents.completed",
        "uploaded" => "documents.staff_uploaded",
        "reclassified" => "documents.correct.reclassified",
        "withdrawn" => "documents.correct.withdrawn",
        _ => return None,
    };
    Some(Notice {
        error: false,
        text: tr.t(key).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    #[test]
    fn downloads_are_attachments_with_a_safe_name() {
        assert_eq!(
            content_disposition("titre de propriété.pdf"),
            "attachment; filename=\"titre de propri_t_.pdf\"; \
             filename*=UTF-8''titre%20de%20propri%C3%A9t%C3%A9.pdf"
        );
    }

    #[test]
    fn sizes_are_shown_in_kilobytes_or_megabytes() {
        let fr = Tr(Language::Fr);
        let en = Tr(Language::En);
        assert_eq!(size_label(en, 1), "1 KB");
        assert_eq!(size_label(en, 1536 * 1024), "1.5 MB");
        assert_eq!(size_label(fr, 1536 * 1024), "1,5 Mo");
        assert_eq!(size_label(Tr(Language::De), 1536 * 1024), "1,5 MB");
        assert_eq!(size_label(Tr(Language::Nl), 1536 * 1024), "1,5 MB");
        assert_eq!(size_label(Tr(Language::Nl), 2000), "2 kB");
    }
}
