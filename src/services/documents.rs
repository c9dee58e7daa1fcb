//! The applicant's documents and the completeness of a request (issue #7): uploads checked
//! and stored, the checklist built from the operators' document prerequisites (V-9.1.1,
//! V-9.1.2, B-4.1, CertIBEau), asking the applicant for what is missing, marking the request
//! complete, and who may read which document.
//!
//! Who reads what: the coordinator's staff read every document of their requests; operator
//! staff read the documents whose kind answers one of their own prerequisites; the applicant
//! reads their own through the private link; everybody else finds nothing (404).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::assessment::AssessmentStatus;
use crate::domain::{AssessmentId, DocumentId, RequestId};
use crate::{
    db::{
        DbError, Scope, Tx, assessments,
        documents::{self, DocumentRow, NewDocument},
        requests::{self, NewEvent, RequestRow},
        sessions::SessionUser,
    },
    domain::{
        DocumentKind, FileRefusal, InputError, RequestQuota, RequestState, document::check_file,
        error::required_text,
    },
    i18n::Tr,
    mail::compose::{self, MissingDocuments},
    operators::{Deadline, Party, Prerequisite},
    services::links::{self, purpose},
    state::AppState,
    storage::StorageError,
};

/// States in which a request no longer takes documents.
pub const CLOSED_STATES: [RequestState; 4] = [
    RequestState::Closed,
    RequestState::Withdrawn,
    RequestState::Refused,
    RequestState::Lapsed,
];

/// States in which the case officer may ask the applicant for missing documents: before the
/// offer is sent.
pub const ASKABLE_STATES: [RequestState; 4] = [
    RequestState::Submitted,
    RequestState::Incomplete,
    RequestState::Complete,
    RequestState::Assessed,
];

/// States the case officer may mark complete from.
pub const COMPLETABLE_STATES: [RequestState; 2] =
    [RequestState::Submitted, RequestState::Incomplete];

/// Longest message the case officer may add to the email, or reason to mark complete.
pub const MESSAGE_MAX: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("file refused: {0}")]
    Refused(#[from] FileRefusal),
    #[error("choose what the document is")]
    KindRequired,
    #[error("the request no longer takes documents")]
    Closed,
    #[error("not possible while the request is {0}")]
    WrongState(String),
    #[error("nothing is missing and no message was written")]
    NothingMissing,
    #[error("{} required document(s) missing", .0.len())]
    StillMissing(Vec<ChecklistItem>),
    #[error("invalid input: {0}")]
    Invalid(InputError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("rendering the email: {0}")]
    Render(#[from] askama::Error),
}

/// Where a checklist item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// A document of this kind was uploaded.
    Received,
    /// No document, but the operator marked the prerequisite met (seen on paper, not needed).
    Met,
    Missing,
}

/// One document an operator asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    pub kind: DocumentKind,
    /// What the operator asked: code, rule, deadline, its own wording for a partner.
    pub prerequisite: Prerequisite,
    /// The operator that asked (organisation name) and for which service.
    pub operator: String,
    pub service: String,
    pub status: ItemStatus,
}

impl ChecklistItem {
    /// Needed before the offer can be made: completeness waits for it. Documents due later
    /// (permit copy 15 days before works, V-9.1.1; CertIBEau before works) are listed but do
    /// not hold the request.
    pub fn required_now(&self) -> bool {
        self.prerequisite.deadline == Deadline::BeforeOffer
    }

    pub fn is_missing(&self) -> bool {
        self.status == ItemStatus::Missing
    }
}

/// The prerequisites one operator answered with.
#[derive(Debug, Clone)]
pub struct OperatorAnswer {
    pub operator: String,
    pub service: String,
    pub prerequisites: Vec<Prerequisite>,
}

/// The completeness checklist of a request: every document the operators asked of the
/// applicant, and how many operators have not answered yet (the list may still grow).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checklist {
    pub items: Vec<ChecklistItem>,
    pub unanswered: usize,
}

/// A missing document as the applicant is asked for it: once per kind, with the most urgent
/// deadline and every operator that asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingDocument {
    pub kind: DocumentKind,
    pub prerequisite: Prerequisite,
    pub deadline: Deadline,
    pub operators: Vec<String>,
}

/// Orders deadlines from the most urgent: before the offer, N days before works (more days
/// first), before works, after works.
fn urgency(deadline: Deadline) -> (u8, i64) {
    match deadline {
        Deadline::BeforeOffer => (0, 0),
        Deadline::DaysBeforeWorks(days) => (1, -i64::from(days)),
        Deadline::BeforeWorks => (2, 0),
        Deadline::DaysAfterWorks(days) => (3, i64::from(days)),
    }
}

impl Checklist {
    /// Pure: the applicant's document prerequisites of every answer, each marked received
    /// when a document of its kind was uploaded, met when the operator said so, else missing.
    pub fn build(answers: &[OperatorAnswer], received: &[DocumentKind], unanswered: usize) -> Self {
        let items = answers
            .iter()
            .flat_map(|answer| {
                answer.prerequisites.iter().filter_map(move |p| {
                    let kind = DocumentKind::for_prerequisite(&p.code)?;
                    (p.who == Party::Applicant).then(|| ChecklistItem {
                        kind,
                        prerequisite: p.clone(),
                        operator: answer.operator.clone(),
                        service: answer.service.clone(),
                        status: if received.contains(&kind) {
                            ItemStatus::Received
                        } else if p.met {
                            ItemStatus::Met
                        } else {
                            ItemStatus::Missing
                        },
                    })
                })
            })
            .collect();
        Checklist { items, unanswered }
    }

    pub fn missing(&self) -> impl Iterator<Item = &ChecklistItem> {
        self.items.iter().filter(|item| item.is_missing())
    }

    /// Missing and needed before the offer: "mark complete" is refused while any is.
    pub fn missing_required(&self) -> Vec<ChecklistItem> {
        self.missing()
            .filter(|item| item.required_now())
            .cloned()
            .collect()
    }

    /// What to ask the applicant for: each missing kind once, most urgent first.
    pub fn to_ask(&self) -> Vec<MissingDocument> {
        let mut asked: Vec<MissingDocument> = Vec::new();
        for item in self.missing() {
            match asked.iter_mut().find(|m| m.kind == item.kind) {
                Some(entry) => {
                    if urgency(item.prerequisite.deadline) < urgency(entry.deadline) {
                        entry.deadline = item.prerequisite.deadline;
                    }
                    if !entry.operators.contains(&item.operator) {
                        entry.operators.push(item.operator.clone());
                    }
                }
                None => asked.push(MissingDocument {
                    kind: item.kind,
                    prerequisite: item.prerequisite.clone(),
                    deadline: item.prerequisite.deadline,
                    operators: vec![item.operator.clone()],
                }),
            }
        }
        asked.sort_by_key(|m| urgency(m.deadline));
        asked
    }
}

/// The label of a document kind, in `tr`'s language: the label of the prerequisite it answers.
pub fn kind_label(tr: Tr, kind: DocumentKind) -> String {
    tr.keyed("prerequisite", kind.code())
}

pub use crate::operators::describe::{deadline_label, prerequisite_label};

/// One line per missing document for the applicant: "label — by when".
pub fn ask_lines(tr: Tr, checklist: &Checklist) -> Vec<String> {
    checklist
        .to_ask()
        .iter()
        .map(|m| {
            format!(
                "{} — {}",
                prerequisite_label(tr, &m.prerequisite),
                deadline_label(tr, m.deadline)
            )
        })
        .collect()
}

/// The checklist of a request, read inside `tx` (the caller authorised the request).
pub async fn checklist_in(tx: &mut Tx, request_id: RequestId) -> Result<Checklist, DocumentError> {
    let mut answers = Vec::new();
    let mut unanswered = 0;
    for row in documents::answers_in(tx, request_id).await? {
        match (row.status, row.answer) {
            (AssessmentStatus::Answered, Some(answer)) => {
                answers.push(OperatorAnswer {
                    operator: row.operator_name,
                    service: row.service,
                    prerequisites: answer.prerequisites,
                });
            }
            _ => unanswered += 1,
        }
    }
    let received: Vec<DocumentKind> = documents::kinds_in(tx, request_id)
        .await?
        .iter()
        .filter_map(|code| code.parse().ok())
        .collect();
    Ok(Checklist::build(&answers, &received, unanswered))
}

/// The coordinator's checklist of a request already read through their scope.
pub async fn checklist(state: &AppState, request: &RequestRow) -> Result<Checklist, DocumentError> {
    let mut tx = state.db.begin_read().await?;
    let checklist = checklist_in(&mut tx, request.id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(checklist)
}

/// Who uploads a document.
#[derive(Debug, Clone, Copy)]
pub enum Uploader<'a> {
    /// The applicant, through the private link.
    Applicant,
    /// A staff member (a document received by post, say).
    Staff(&'a SessionUser),
}

/// A file as received from the form, not yet checked.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub kind: Option<DocumentKind>,
    pub filename: &'a str,
    pub bytes: &'a [u8],
}

/// Checks and stores one document of `request`: refused with the reason and nothing saved
/// when the file is empty, too large or not the type its name says; otherwise the file is
/// stored, then the row and the timeline event are written in one transaction — and the file
/// is removed again if that transaction fails. Returns the new document's id.
///
/// When the upload brings the last document needed before the offer of a request the case
/// officer found incomplete, an event tells them (the request is not completed by itself).
pub async fn upload(
    state: &AppState,
    request: &RequestRow,
    uploader: Uploader<'_>,
    upload: Upload<'_>,
    now: DateTime<Utc>,
) -> Result<String, DocumentError> {
    if CLOSED_STATES.contains(&request.state) {
        return Err(DocumentError::Closed);
    }
    let kind = upload.kind.ok_or(DocumentError::KindRequired)?;
    let checked = check_file(
        upload.filename,
        upload.bytes.len() as u64,
        upload.bytes,
        state.config.upload_max_bytes,
    )?;
    // Refused before anything is written; checked again under the request's lock below.
    let quota = request_quota(state);
    let size = upload.bytes.len() as u64;
    let (files, bytes) = documents::totals(&state.db, &request.access).await?;
    quota.admits(count(files), count(bytes), size)?;
    let request_id = request.id;
    let id = DocumentId::generate();
    let key = format!("requests/{request_id}/{id}");
    let sha256: String = Sha256::digest(upload.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    state.storage.put(&key, upload.bytes).await?;
    let recorded = record_upload(
        state,
        request,
        uploader,
        &NewDocument {
            id,
            request_id,
            kind: kind.code(),
            filename: &checked.filename,
            content_type: checked.file_type.content_type(),
            size_bytes: i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX),
            sha256: &sha256,
            storage_key: &key,
            uploaded_by: match uploader {
                Uploader::Applicant => "applicant",
                Uploader::Staff(_) => "staff",
            },
            uploader_id: match uploader {
                Uploader::Applicant => None,
                Uploader::Staff(user) => Some(user.user_id),
            },
        },
        kind,
        quota,
        now,
    )
    .await;
    if let Err(error) = recorded {
        // Nothing half-saved: the row is not there, so the file goes too.
        if let Err(cleanup) = state.storage.delete(&key).await {
            tracing::error!(%key, error = %cleanup, "could not remove an orphan upload");
        }
        return Err(error);
    }
    tracing::info!(reference = %request.reference, kind = kind.code(), "document received");
    Ok(id.to_string())
}

/// What one request may hold (the configured number of files and bytes).
fn request_quota(state: &AppState) -> RequestQuota {
    RequestQuota {
        max_files: state.config.limits.upload_max_files_per_request.get(),
        max_bytes: state.config.limits.upload_max_bytes_per_request,
    }
}

/// A stored count, never negative.
fn count(stored: i64) -> u64 {
    u64::try_from(stored).unwrap_or(0)
}

async fn record_upload(
    state: &AppState,
    request: &RequestRow,
    uploader: Uploader<'_>,
    document: &NewDocument<'_>,
    kind: DocumentKind,
    quota: RequestQuota,
    now: DateTime<Utc>,
) -> Result<(), DocumentError> {
    let mut tx = state.db.begin_write().await?;
    // Concurrent uploads to one request take turns, so the quota holds across instances.
    documents::hold_request(&mut tx, request.id).await?;
    let (files, bytes) = documents::totals_in(&mut tx, request.id).await?;
    if let Err(refused) = quota.admits(count(files), count(bytes), count(document.size_bytes)) {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(refused.into());
    }
    let fresh = requests::get_for_worker(&mut tx, request.id).await?;
    let received_before = documents::kinds_in(&mut tx, request.id).await?;
    documents::insert(&mut tx, document, now).await?;
    // The detail is the kind's code, shown translated; not the file's name: every party reads
    // the timeline, the name is for those who may open the file.
    let detail = kind.code();
    let (actor_kind, actor_id, actor_name) = match uploader {
        Uploader::Applicant => ("applicant", None, Some(fresh.applicant_name.as_str())),
        Uploader::Staff(user) => (
            "staff",
            Some(user.user_id),
            Some(user.display_name.as_str()),
        ),
    };
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id: document.request_id,
            at: now,
            kind: "document_received",
            actor_kind,
            actor_id,
            actor_name,
            organisation_id: None,
            detail: Some(detail),
            public: true,
        },
    )
    .await?;
    if fresh.state == RequestState::Incomplete && !received_before.iter().any(|k| k == kind.code())
    {
        let checklist = checklist_in(&mut tx, request.id).await?;
        let was_missing = checklist
            .items
            .iter()
            .any(|item| item.kind == kind && !item.prerequisite.met);
        if was_missing && checklist.missing_required().is_empty() {
            requests::insert_event(
                &mut tx,
                &NewEvent {
                    request_id: document.request_id,
                    at: now,
                    kind: "required_documents_received",
                    actor_kind: "system",
                    actor_id: None,
                    actor_name: None,
                    organisation_id: None,
                    detail: None,
                    public: false,
                },
            )
            .await?;
        }
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// What the case officer asked for, once queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub items: usize,
}

/// The case officer asks the applicant for what is missing: ONE email in the applicant's
/// language listing every missing document with its deadline, the officer's optional message
/// and a fresh private link to upload; the request becomes `incomplete`; the timeline says who
/// asked. All in one transaction.
pub async fn ask_for_missing(
    state: &AppState,
    officer: &SessionUser,
    request: &RequestRow,
    message: &str,
    now: DateTime<Utc>,
) -> Result<Asked, DocumentError> {
    let message = crate::domain::error::optional_text(message, MESSAGE_MAX)
        .map_err(DocumentError::Invalid)?;
    let mut tx = state.db.begin_write().await?;
    let fresh = requests::get_for_worker(&mut tx, request.id).await?;
    if !ASKABLE_STATES.contains(&fresh.state) {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(DocumentError::WrongState(fresh.state.code().to_owned()));
    }
    let checklist = checklist_in(&mut tx, fresh.id).await?;
    let tr = Tr(fresh.language);
    let items = ask_lines(tr, &checklist);
    if items.is_empty() && message.is_none() {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(DocumentError::NothingMissing);
    }
    let request_id = fresh.id;
    let upload_url = links::issue_follow_link(
        &mut tx,
        &state.base_url,
        request_id,
        purpose::MISSING_DOCUMENTS,
        now,
    )
    .await?;
    let mail = compose::missing_documents(
        tr,
        &MissingDocuments {
            reference: fresh.reference.clone(),
            applicant_name: fresh.applicant_name.clone(),
            items: items.clone(),
            message: message.clone(),
            upload_url,
        },
    )?;
    crate::services::outbox::enqueue_mail(
        &mut tx,
        "missing_documents",
        Some(request_id),
        &fresh.email,
        &mail,
        &[],
        now,
    )
    .await?;
    if fresh.state != RequestState::Incomplete
        && !requests::move_state(
            &mut tx,
            fresh.id,
            fresh.state,
            RequestState::Incomplete,
            now,
        )
        .await?
    {
        // Another change came first (the write transaction makes this rare): ask again.
        tx.rollback().await.map_err(DbError::from)?;
        return Err(DocumentError::WrongState(fresh.state.code().to_owned()));
    }
    let kinds: Vec<String> = checklist
        .to_ask()
        .iter()
        .map(|m| prerequisite_label(tr, &m.prerequisite))
        .collect();
    let detail = if kinds.is_empty() {
        None
    } else {
        Some(kinds.join(", "))
    };
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id,
            at: now,
            kind: "documents_requested",
            actor_kind: "staff",
            actor_id: Some(officer.user_id),
            actor_name: Some(&officer.display_name),
            organisation_id: None,
            detail: detail.as_deref(),
            public: true,
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(Asked { items: items.len() })
}

/// The case officer marks the request complete. Refused with the list of missing documents
/// needed before the offer, unless the officer gives a reason (kept in the timeline). The
/// request becomes `assessed` when every operator has answered, else `complete` (the
/// assessment worker moves it on with the last answer). Returns the new state.
pub async fn mark_complete(
    state: &AppState,
    officer: &SessionUser,
    request: &RequestRow,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<RequestState, DocumentError> {
    let reason =
        crate::domain::error::optional_text(reason, MESSAGE_MAX).map_err(DocumentError::Invalid)?;
    let mut tx = state.db.begin_write().await?;
    let fresh = requests::get_for_worker(&mut tx, request.id).await?;
    if !COMPLETABLE_STATES.contains(&fresh.state) {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(DocumentError::WrongState(fresh.state.code().to_owned()));
    }
    let checklist = checklist_in(&mut tx, fresh.id).await?;
    let missing = checklist.missing_required();
    if !missing.is_empty() && reason.is_none() {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(DocumentError::StillMissing(missing));
    }
    let to = if assessments::unanswered(&mut tx, fresh.id).await? == 0 {
        RequestState::Assessed
    } else {
        RequestState::Complete
    };
    if !requests::move_state(&mut tx, fresh.id, fresh.state, to, now).await? {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(DocumentError::WrongState(fresh.state.code().to_owned()));
    }
    let request_id = fresh.id;
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id,
            at: now,
            kind: "marked_complete",
            actor_kind: "staff",
            actor_id: Some(officer.user_id),
            actor_name: Some(&officer.display_name),
            organisation_id: None,
            detail: None,
            public: true,
        },
    )
    .await?;
    if !missing.is_empty()
        && let Some(reason) = &reason
    {
        // Why the officer went on without them: for staff only, in the officer's language.
        let tr = Tr(officer.language.parse().unwrap_or_default());
        let labels: Vec<String> = missing
            .iter()
            .map(|item| prerequisite_label(tr, &item.prerequisite))
            .collect();
        let detail = format!("{reason} ({})", labels.join(", "));
        requests::insert_event(
            &mut tx,
            &NewEvent {
                request_id,
                at: now,
                kind: "completeness_overridden",
                actor_kind: "staff",
                actor_id: Some(officer.user_id),
                actor_name: Some(&officer.display_name),
                organisation_id: Some(officer.organisation_id),
                detail: Some(&detail),
                public: false,
            },
        )
        .await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(to)
}

/// The case officer corrects what a document is (the applicant picked the wrong kind): the
/// checklist follows at once; the timeline says who, what and why.
pub async fn reclassify(
    state: &AppState,
    officer: &SessionUser,
    request: &RequestRow,
    document_id: DocumentId,
    kind: Option<DocumentKind>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DocumentError> {
    let kind = kind.ok_or(DocumentError::KindRequired)?;
    let reason = required_text(reason, 2000).map_err(DocumentError::Invalid)?;
    if CLOSED_STATES.contains(&request.state) {
        return Err(DocumentError::Closed);
    }
    let mut tx = state.db.begin_write().await?;
    let document = documents::get_of_request_in(&mut tx, request.id, document_id)
        .await?
        .ok_or(DocumentError::Db(DbError::NotFound))?;
    documents::set_kind(&mut tx, request.id, document_id, kind.code()).await?;
    let detail = format!(
        "{} : {} → {} — {reason}",
        document.filename,
        document.kind,
        kind.code()
    );
    officer_event(
        &mut tx,
        officer,
        request,
        "document_reclassified",
        &detail,
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// The case officer withdraws a document sent by mistake (wrong file, someone else's data):
/// its row goes in one transaction with the timeline event keeping its name, fingerprint,
/// who and why; then its stored bytes are deleted.
pub async fn withdraw(
    state: &AppState,
    officer: &SessionUser,
    request: &RequestRow,
    document_id: DocumentId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DocumentError> {
    let reason = required_text(reason, 2000).map_err(DocumentError::Invalid)?;
    let mut tx = state.db.begin_write().await?;
    let document = documents::remove(&mut tx, request.id, document_id)
        .await?
        .ok_or(DocumentError::Db(DbError::NotFound))?;
    let detail = format!(
        "{} ({}, SHA-256 {}) — {reason}",
        document.filename, document.kind, document.sha256
    );
    officer_event(
        &mut tx,
        officer,
        request,
        "document_withdrawn",
        &detail,
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    // After the commit: a failed deletion leaves an unreferenced file, never a row without one.
    if let Err(error) = state.storage.delete(&document.storage_key).await {
        tracing::error!(%error, key = %document.storage_key, "withdrawn document left in storage");
    }
    Ok(())
}

async fn officer_event(
    tx: &mut Tx,
    officer: &SessionUser,
    request: &RequestRow,
    kind: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), DocumentError> {
    requests::insert_event(
        tx,
        &NewEvent {
            request_id: request.id,
            at: now,
            kind,
            actor_kind: "staff",
            actor_id: Some(officer.user_id),
            actor_name: Some(&officer.display_name),
            organisation_id: Some(officer.organisation_id),
            detail: Some(detail),
            public: true,
        },
    )
    .await?;
    Ok(())
}

/// A document with the address its reader downloads it from.
#[derive(Debug, Clone)]
pub struct VisibleDocument {
    pub row: DocumentRow,
    pub download_url: String,
}

/// The prerequisite codes of an assessment's latest answer, as `scope` may read it.
async fn asked_codes(
    state: &AppState,
    scope: &Scope,
    assessment_id: AssessmentId,
) -> Result<Vec<String>, DocumentError> {
    let Some(version) = assessments::latest_version(&state.db, scope, assessment_id).await? else {
        return Ok(Vec::new());
    };
    Ok(version
        .answer
        .prerequisites
        .into_iter()
        .map(|p| p.code)
        .collect())
}

fn concerns(row: &DocumentRow, codes: &[String]) -> bool {
    row.kind
        .parse::<DocumentKind>()
        .is_ok_and(|kind| kind.concerns(codes.iter().map(String::as_str)))
}

/// The documents of a request that `scope` may read, each with its download address: all of
/// them for the coordinator; for an operator, those answering its own prerequisites (through
/// its assessment); none for anybody else. `request` was read through the same scope.
pub async fn visible_to(
    state: &AppState,
    scope: &Scope,
    request: &RequestRow,
) -> Result<Vec<VisibleDocument>, DocumentError> {
    let rows = documents::for_request(&state.db, &request.access).await?;
    if scope.organisation_id() == request.coordinator_id {
        return Ok(rows
            .into_iter()
            .map(|row| VisibleDocument {
                download_url: format!("/backoffice/requests/{}/documents/{}", request.id, row.id),
                row,
            })
            .collect());
    }
    let own = assessments::for_request(&state.db, scope, request.id).await?;
    let mut visible: Vec<VisibleDocument> = Vec::new();
    for assessment in own
        .iter()
        .filter(|a| a.organisation_id == scope.organisation_id())
    {
        let codes = asked_codes(state, scope, assessment.id).await?;
        for row in rows.iter().filter(|row| concerns(row, &codes)) {
            if !visible.iter().any(|v| v.row.id == row.id) {
                visible.push(VisibleDocument {
                    download_url: format!(
                        "/operator/assessments/{}/documents/{}",
                        assessment.id, row.id
                    ),
                    row: row.clone(),
                });
            }
        }
    }
    Ok(visible)
}

/// The request of one of `scope`'s own assessments and the documents that concern it;
/// `None` when the assessment is not theirs.
pub async fn of_own_assessment(
    state: &AppState,
    scope: &Scope,
    assessment_id: AssessmentId,
) -> Result<Option<(RequestRow, Vec<DocumentRow>)>, DocumentError> {
    let Some(request_id) = assessments::request_of_own(&state.db, scope, assessment_id).await?
    else {
        return Ok(None);
    };
    let request = requests::get_for(&state.db, scope, request_id).await?;
    let codes = asked_codes(state, scope, assessment_id).await?;
    let rows = documents::for_request(&state.db, &request.access)
        .await?
        .into_iter()
        .filter(|row| concerns(row, &codes))
        .collect();
    Ok(Some((request, rows)))
}

/// A stored document and its bytes.
#[derive(Debug, Clone)]
pub struct Download {
    pub row: DocumentRow,
    pub bytes: Vec<u8>,
}

async fn fetch(state: &AppState, row: DocumentRow) -> Result<Option<Download>, DocumentError> {
    match state.storage.get(&row.storage_key).await {
        Ok(bytes) => Ok(Some(Download { row, bytes })),
        Err(StorageError::NotFound) => {
            tracing::error!(document = %row.id, "stored file missing");
            Ok(None)
        }
        Err(other) => Err(other.into()),
    }
}

/// A document of `request` for a reader already authorised for every document of it (the
/// applicant through the private link, the coordinator's staff); `None` for another
/// request's document.
pub async fn download_of_request(
    state: &AppState,
    request: &RequestRow,
    document_id: DocumentId,
) -> Result<Option<Download>, DocumentError> {
    match documents::get_of_request(&state.db, &request.access, document_id).await? {
        Some(row) => fetch(state, row).await,
        None => Ok(None),
    }
}

/// A document for the coordinator's staff: `None` unless `scope` is the coordinator of the
/// request it belongs to.
pub async fn download_for_coordinator(
    state: &AppState,
    scope: &Scope,
    request_id: RequestId,
    document_id: DocumentId,
) -> Result<Option<Download>, DocumentError> {
    let request = match requests::get_for(&state.db, scope, request_id).await {
        Ok(request) => request,
        Err(DbError::NotFound) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    if scope.organisation_id() != request.coordinator_id {
        return Ok(None);
    }
    download_of_request(state, &request, document_id).await
}

/// A document for operator staff through one of their own assessments: `None` unless the
/// assessment is theirs and the document answers one of its prerequisites.
pub async fn download_for_operator(
    state: &AppState,
    scope: &Scope,
    assessment_id: AssessmentId,
    document_id: DocumentId,
) -> Result<Option<Download>, DocumentError> {
    let Some((_, rows)) = of_own_assessment(state, scope, assessment_id).await? else {
        return Ok(None);
    };
    match rows.into_iter().find(|row| row.id == document_id) {
        Some(row) => fetch(state, row).await,
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{ApplicantKind, Service},
        operators::{RequestFacts, module_for, tests::facts},
    };

    fn answer(service: Service, facts: &RequestFacts) -> OperatorAnswer {
        OperatorAnswer {
            operator: format!("op-{}", service.code()),
            service: service.code().to_owned(),
            prerequisites: module_for(service).assess(facts).prerequisites,
        }
    }

    fn every_answer(facts: &RequestFacts) -> Vec<OperatorAnswer> {
        Service::ALL.iter().map(|s| answer(*s, facts)).collect()
    }

    #[test]
    fn v_9_1_1_b_4_1_the_checklist_lists_the_applicants_documents_only() {
        let checklist = Checklist::build(&every_answer(&facts()), &[], 0);
        let kinds: Vec<(&str, &str)> = checklist
            .items
            .iter()
            .map(|i| (i.service.as_str(), i.kind.code()))
            .collect();
        // No trench, survey or payment: those are not documents.
        assert_eq!(
            kinds,
            [
                ("electricity", "situation_plan"),
                ("electricity", "permit_copy"),
                ("water", "legal_title"),
                ("water", "certibeau"),
            ]
        );
        assert!(checklist.items.iter().all(ChecklistItem::is_missing));
        let required: Vec<&str> = checklist
            .missing_required()
            .iter()
            .map(|i| i.kind.code())
            .collect();
        assert_eq!(required, ["situation_plan", "legal_title"]);
    }

    #[test]
    fn received_and_met_items_are_not_missing() {
        let mut answers = every_answer(&facts());
        let water = answers.iter_mut().find(|a| a.service == "water").unwrap();
        water
            .prerequisites
            .iter_mut()
            .find(|p| p.code == "legal_title")
            .unwrap()
            .met = true;
        let checklist = Checklist::build(&answers, &[DocumentKind::SituationPlan], 2);
        let status = |code: &str| {
            checklist
                .items
                .iter()
                .find(|i| i.kind.code() == code)
                .unwrap()
                .status
        };
        assert_eq!(status("situation_plan"), ItemStatus::Received);
        assert_eq!(status("legal_title"), ItemStatus::Met);
        assert_eq!(status("certibeau"), ItemStatus::Missing);
        assert!(checklist.missing_required().is_empty());
        assert_eq!(checklist.unanswered, 2);
    }

    #[test]
    fn b_4_1_a_company_on_new_land_is_asked_each_document_once_most_urgent_first() {
        let mut case = facts();
        case.applicant_kind = ApplicantKind::Legal;
        case.applicant_vat = crate::tariff::VatStatus::Exempt;
        case.has_address = false;
        let mut answers = every_answer(&case);
        // A partner asking the permit copy too, earlier than ORES.
        answers.push(OperatorAnswer {
            operator: "Chaleur".into(),
            service: "heat".into(),
            prerequisites: vec![Prerequisite::new(
                "permit_copy",
                "C-8",
                Party::Applicant,
                Deadline::DaysBeforeWorks(30),
            )],
        });
        let asked = Checklist::build(&answers, &[], 0).to_ask();
        let codes: Vec<&str> = asked.iter().map(|m| m.kind.code()).collect();
        assert_eq!(
            codes,
            [
                "situation_plan",
                "parcel_plan_lambert72",
                "legal_title",
                "trade_register_extract",
                "vat_exemption_proof",
                "permit_copy",
                "road_plan",
                "certibeau",
                "as_built_plan_dwg",
            ]
        );
        let permit = asked
            .iter()
            .find(|m| m.kind.code() == "permit_copy")
            .unwrap();
        assert_eq!(permit.deadline, Deadline::DaysBeforeWorks(30));
        assert_eq!(permit.operators, ["op-electricity", "Chaleur"]);
    }

    #[test]
    fn every_document_prerequisite_of_the_modules_has_a_document_kind() {
        // An exempt company on new land, and a private person's old house.
        let mut company = facts();
        company.applicant_kind = ApplicantKind::Legal;
        company.applicant_vat = crate::tariff::VatStatus::Exempt;
        company.has_address = false;
        let mut old_house = facts();
        old_house.dwelling = crate::domain::Dwelling::Existing {
            first_occupied: 1990,
        };
        let asked: Vec<String> = [company, old_house]
            .iter()
            .flat_map(|case| {
                Service::ALL
                    .iter()
                    .flat_map(|s| module_for(*s).assess(case).prerequisites)
            })
            .map(|p| p.code)
            .collect();
        for kind in DocumentKind::ALL
            .into_iter()
            .filter(|k| *k != DocumentKind::Other)
        {
            assert!(
                asked.iter().any(|code| code == kind.code()),
                "{} is asked by a module",
                kind.code()
            );
        }
    }
}
