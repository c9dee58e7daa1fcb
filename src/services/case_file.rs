//! The case file: what one audience may read of one request, as one typed view ready to
//! render. [`for_applicant`] serves the citizen's status page; [`for_staff`] the request page
//! of case officers and operator staff and the API's request detail.
//!
//! Each view is read with a fixed number of queries, whatever the number of operators,
//! documents, events or offer versions (every list is read in one batch):
//!
//! | # | read                                                          | applicant | staff                 |
//! |---|---------------------------------------------------------------|-----------|-----------------------|
//! | 1 | the request (private link / caller's scope)                   | yes       | yes                   |
//! | 2 | its connections with their operators                          | yes       | yes                   |
//! | 3 | the partners' service labels                                  | yes       | yes                   |
//! | 4 | the timeline (public events / the caller's events)            | yes       | yes                   |
//! | 5 | every assessment with its operator and latest answer          | yes       | yes                   |
//! | 6 | the documents                                                 | yes       | yes                   |
//! | 7 | the reserved joint day, crew by crew                          | yes       | yes                   |
//! | 8 | the offer versions                                            | yes       | coordinator           |
//! | 9 | the payees and payments of every version                      | yes       | coordinator           |
//! | 9b| the dossier-fee invoice issued at filing (V-3.1)              | yes       | coordinator           |
//! |10 | the case officers who may take the request                    | —         | coordinator           |
//! |11 | the current road-works permit                                 | —         | coordinator           |
//! |12 | a booked crew away on the day                                 | —         | coordinator, day set  |
//! |13 | construction holidays on the booked day (2 reads)             | —         | coordinator, day set  |
//!
//! A file read is kept in memory (`services::kept`) while the request's revisions hold: the
//! next reader of an unchanged request reads only the request itself (one statement; the
//! staff's VAT facts are read each time).
//!
//! While no day is reserved and one may be chosen, the joint-day computation
//! (`services::schedule::candidates`) adds its own fixed reads (answers, construction
//! holidays, crews and their bookings for the request's commune).

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::assessment::AssessmentStatus;
use crate::domain::offer::OfferStatus;
use crate::domain::permit::PermitStatus;
use crate::domain::{
    AssessmentId, DocumentId, OfferId, OrganisationId, PermitId, RequestId, UserId,
};
use crate::{
    db::{
        DbError, RequestAccess, Scope, assessments, crews, documents as document_rows, offers,
        permits,
        requests::{self, TimelineReader},
    },
    domain::{DocumentKind, RequestState, tenancy::SessionUser},
    operators::{Assessment, generic::Labels, refusal::Refusal},
    quote::OfferDocument,
    scheduling::joint::JointDays,
    services::{
        documents::{self as document_service, Checklist, OperatorAnswer},
        holidays,
        kept::{self, Lifetime, Revisions},
        links::LinkError,
        offers as offer_service,
        schedule::{self, LatestAnswers, ScheduleError},
    },
    state::AppState,
};

pub use crate::db::requests::{RequestRow, RequestStamp};

/// One entry of the timeline.
#[derive(Debug, Clone)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor_kind: String,
    pub actor_name: Option<String>,
    /// The organisation the actor acted for (an API key's, named with it).
    pub organisation_name: Option<String>,
    pub detail: Option<String>,
    pub public: bool,
}

/// A requested connection and the operator serving it (none yet for a partner not covering
/// the commune), in the stored order (by service code).
#[derive(Debug, Clone)]
pub struct ServiceLine {
    pub service: String,
    pub operator: Option<String>,
}

/// One operator's assessment and its latest answer.
#[derive(Debug, Clone)]
pub struct AnswerView {
    pub id: AssessmentId,
    pub organisation_id: OrganisationId,
    pub operator: String,
    pub service: String,
    pub status: AssessmentStatus,
    pub version: i64,
    pub due_at: DateTime<Utc>,
    /// Not answered by its due time.
    pub late: bool,
    /// The reader's own organisation answered it: they may change it.
    pub own: bool,
    /// Its lines may be corrected: by the operator, or by the case officer before the works
    /// are paid for.
    pub lines_editable: bool,
    pub answer: Option<Assessment>,
}

/// A document the reader may open.
#[derive(Debug, Clone)]
pub struct DocumentView {
    pub id: DocumentId,
    /// The kind's code (`DocumentKind`), kept as stored for an unknown one.
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// `applicant` or `staff`.
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
    pub download_url: String,
}

/// Who pays whom for one offer version, with what was paid (see `domain::dues`).
pub use crate::services::offers::Due;

/// The dossier-opening fee invoiced at filing (V-3.1).
pub use crate::services::dossier_fee::DossierInvoice;

/// One version of the consolidated offer.
#[derive(Debug, Clone)]
pub struct OfferVersion {
    pub version: i64,
    pub status: OfferStatus,
    pub language: String,
    pub sent_at: DateTime<Utc>,
    pub valid_until: NaiveDate,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<String>,
    pub supersedes_reason: Option<String>,
    /// The document as sent.
    pub document: OfferDocument,
    /// Who pays whom: each operator document, each holder's share, each credit.
    pub dues: Vec<Due>,
}

/// The offer part of a case file.
#[derive(Debug, Clone)]
pub struct OfferFile {
    /// Newest first.
    pub versions: Vec<OfferVersion>,
    /// The latest version is sent and still valid: it can be accepted.
    pub open: bool,
    /// The case officer may send a first offer, or revise / re-issue it.
    pub can_send: bool,
    pub change_requested: bool,
    /// The latest version is accepted: payments can be recorded.
    pub can_record_payment: bool,
    pub can_confirm_day: bool,
    /// The applicant is a commune acting as project owner: it pays after the works (V-8.2.1).
    pub pays_after_works: bool,
}

impl OfferFile {
    pub fn latest(&self) -> Option<&OfferVersion> {
        self.versions.first()
    }
}

/// One operator's crew on the reserved joint day.
#[derive(Debug, Clone)]
pub struct CrewBooking {
    pub service: String,
    pub organisation_id: OrganisationId,
    pub crew: String,
    pub done_at: Option<String>,
}

/// The joint road-works permit as the case officer follows it.
#[derive(Debug, Clone)]
pub struct PermitView {
    pub id: PermitId,
    pub status: PermitStatus,
    pub day: NaiveDate,
    pub requested_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub decision_text: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A part of the request an operator refused, with the reasons and rules (B-4.4).
#[derive(Debug, Clone)]
pub struct PartRefusal {
    pub service: String,
    pub operator: String,
    pub refusals: Vec<Refusal>,
}

/// The refused parts among `answers`, in their order.
fn part_refusals(answers: &[assessments::CaseAnswerRow]) -> Vec<PartRefusal> {
    let mut parts = Vec::new();
    for row in answers {
        let Some(answer) = &row.answer else {
            continue;
        };
        let refusals = answer.refusals();
        if !refusals.is_empty() {
            parts.push(PartRefusal {
                service: row.service.clone(),
                operator: row.operator_name.clone(),
                refusals,
            });
        }
    }
    parts
}

/// What the applicant reads through the private link.
#[derive(Debug, Clone)]
pub struct ApplicantCaseFile {
    pub request: RequestRow,
    pub services: Vec<ServiceLine>,
    /// The partners' service labels, by service code.
    pub partner_labels: Vec<(String, Labels)>,
    /// The public timeline, oldest first.
    pub events: Vec<Event>,
    pub reserved: Option<NaiveDate>,
    /// The case officer confirmed the reserved day (the works may go ahead); until then the
    /// day is only proposed.
    pub confirmed: bool,
    /// The days the applicant may pick (rule C-4), when no day is reserved yet.
    pub candidates: Vec<NaiveDate>,
    /// An operator asks the applicant to dig the trench on their land and lay the sleeve at
    /// 1 m before the works (V-8.5), and it is not done yet.
    pub digs_trench: bool,
    pub offer: OfferFile,
    /// The parts refused in writing, each with its reasons and rules (B-4.4).
    pub refusals: Vec<PartRefusal>,
    pub documents: Vec<DocumentView>,
    pub checklist: Checklist,
    /// The request still takes documents.
    pub documents_open: bool,
    /// V-3.1: the dossier-opening fee invoiced when the request was filed.
    pub dossier_invoice: Option<DossierInvoice>,
}

/// The joint day as staff see it.
#[derive(Debug)]
pub enum StaffJointDay {
    /// Not reserved, and the reader (an operator) has nothing to choose.
    Hidden,
    Reserved {
        day: NaiveDate,
        /// The crews the reader may see: all for the coordinator, its own for an operator.
        crews: Vec<CrewBooking>,
        /// The request's state says the day is confirmed to the applicant.
        confirmed: bool,
        /// For the coordinator: a booked crew declared itself away that day.
        crew_absent: bool,
        /// For the coordinator: a construction holiday now on the booked day.
        construction_holiday: Option<(NaiveDate, String)>,
        /// For an operator: its own assessment and whether its works are recorded done.
        own_works: Option<(AssessmentId, bool)>,
    },
    /// For the coordinator: the candidate days, or why none can be computed.
    Open(Result<JointDays, ScheduleError>),
}

/// What a signed-in staff member reads of a request of theirs.
#[derive(Debug)]
pub struct StaffCaseFile {
    pub request: RequestRow,
    /// The reader's organisation coordinates the request.
    pub coordinator: bool,
    pub services: Vec<ServiceLine>,
    pub partner_labels: Vec<(String, Labels)>,
    /// The timeline as the reader's tenant may read it, oldest first.
    pub events: Vec<Event>,
    /// The assessments the reader may see, by service.
    pub assessments: Vec<AnswerView>,
    /// The documents the reader may open.
    pub documents: Vec<DocumentView>,
    /// For the coordinator: the completeness checklist.
    pub checklist: Option<Checklist>,
    pub joint_day: StaffJointDay,
    /// For the coordinator: the offer (`None` for anybody else).
    pub offer: Option<OfferFile>,
    /// For the coordinator: the case officers (id, name).
    pub officers: Vec<(UserId, String)>,
    /// For the coordinator: the current road-works permit.
    pub permit: Option<PermitView>,
    /// For the coordinator, while no day is reserved: by when each operator must do its works
    /// and from what its lead time runs (V-8.2.2, V-8.6, B-5.5).
    pub deadlines: Vec<schedule::WorksDeadline>,
    /// For the coordinator: the dossier-opening fee invoiced at filing (V-3.1).
    pub dossier_invoice: Option<DossierInvoice>,
}

/// A staff member's case file as served: the kept file, shared by every reader of their
/// organisation while the request is unchanged, with the request's VAT facts read for this
/// reading (they may follow other requests of the same land, V-3.1).
pub struct StaffFile {
    kept: Arc<StaffCaseFile>,
    /// What the operator modules know of the request, the VAT position with its proof: the
    /// regimes a line added by staff may take follow from it.
    pub facts: crate::operators::RequestFacts,
}

impl StaffFile {
    /// The kept case file itself, shared by every reader of the organisation: a page rendered
    /// from it serves while it is the one kept.
    pub fn view(&self) -> &Arc<StaffCaseFile> {
        &self.kept
    }
}

impl std::ops::Deref for StaffFile {
    type Target = StaffCaseFile;

    fn deref(&self) -> &StaffCaseFile {
        &self.kept
    }
}

/// Why a case file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CaseFileError {
    /// No such request for this reader.
    #[error("not found")]
    NotFound,
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for CaseFileError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => CaseFileError::NotFound,
            other => CaseFileError::Db(other),
        }
    }
}

impl From<CaseFileError> for DbError {
    fn from(error: CaseFileError) -> Self {
        match error {
            CaseFileError::NotFound => DbError::NotFound,
            CaseFileError::Corrupt(what) => DbError::Corrupt(what),
            CaseFileError::Db(error) => error,
        }
    }
}

/// A request of the staff member's scope; for anybody else [`DbError::NotFound`].
pub async fn request_for(
    state: &AppState,
    user: &SessionUser,
    request_id: RequestId,
) -> Result<RequestRow, DbError> {
    requests::get_for(&state.db, &user.scope(), request_id).await
}

/// A request the staff member's own organisation coordinates: its joint day, offer and permit
/// are theirs to handle (C-2); for anybody else [`DbError::NotFound`].
pub async fn coordinated_request(
    state: &AppState,
    user: &SessionUser,
    request_id: RequestId,
) -> Result<RequestRow, DbError> {
    let request = request_for(state, user, request_id).await?;
    if user.organisation_id != request.coordinator_id {
        return Err(DbError::NotFound);
    }
    Ok(request)
}

pub use super::reference::partner_labels;

/// The citizen's case file of the request behind `token`, whose link was found working with
/// `stamp`: the one kept in memory while nothing it shows has changed, else read and kept.
/// Only its revisions are read to serve a kept file; the request itself, to build one.
pub async fn applicant_file(
    state: &AppState,
    stamp: RequestStamp,
    token: &str,
) -> Result<Arc<ApplicantCaseFile>, CaseFileError> {
    // Per link: the file's document addresses carry it, so the kept file holds the token
    // already and the key may too (no second hash on every page).
    let key = format!("{}:{token}", stamp.id);
    kept::view(
        state,
        &key,
        Revisions::of_stamp(&stamp),
        Lifetime::Clocked,
        async {
            // Found again through the link: a link replaced meanwhile opens nothing.
            let request = super::links::request_of_link(state, token)
                .await
                .map_err(|error| match error {
                    LinkError::Db(error) => CaseFileError::from(error),
                    _ => CaseFileError::NotFound,
                })?;
            read_applicant_file(state, request, token).await
        },
    )
    .await
}

/// The citizen's case file of a request already found through `token`, read from the database.
async fn read_applicant_file(
    state: &AppState,
    request: RequestRow,
    token: &str,
) -> Result<ApplicantCaseFile, CaseFileError> {
    let scope = requests::applicant_scope(&request);
    let current = request.state;
    let services = service_lines(state, &request.access).await?;
    let partner_labels = partner_labels(state).await?;
    let events =
        events_of(requests::events(&state.db, &request.access, TimelineReader::Applicant).await?);
    let answers = assessments::answers_for(&state.db, &scope, request.id).await?;
    let latest = LatestAnswers::of(
        answers
            .iter()
            .map(|answer| (answer.service.clone(), answer.answer.clone()))
            .collect(),
    );
    let rows = document_rows::for_request(&state.db, &request.access).await?;
    let checklist = checklist_of(&answers, &rows);
    let refusals = part_refusals(&answers);
    let documents = rows
        .into_iter()
        .map(|row| {
            let url = format!("/track/{token}/documents/{}", row.id);
            DocumentView::of(row, url)
        })
        .collect();
    let reserved = reservations(state, &request.access)
        .await?
        .first()
        .map(|r| r.0);
    let offer = offer_file(state, &request).await?;
    let dossier_invoice = crate::services::dossier_fee::of_request(state, &request.access).await?;
    // Once every operator has answered, the applicant may pick the joint day themselves.
    let candidates = if reserved.is_none()
        && matches!(
            current,
            RequestState::Assessed | RequestState::Accepted | RequestState::ReadyForWorks
        ) {
        match schedule::candidates_from_answers(
            state,
            &request,
            &latest,
            state.clock.today(),
            Some(&known_parts(&answers, &offer, None)),
        )
        .await
        {
            Ok(days) => days.candidates.iter().map(|c| c.date).collect(),
            Err(ScheduleError::Db(error)) => return Err(error.into()),
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let digs_trench = latest
        .answered()
        .filter(|answer| {
            !matches!(
                answer.feasibility,
                crate::operators::Feasibility::Refused
                    | crate::operators::Feasibility::NotAvailable
            )
        })
        .any(|answer| {
            answer.prerequisites.iter().any(|p| {
                p.code == "trench_and_sleeve"
                    && p.who == crate::operators::Party::Applicant
                    && !p.met
            })
        });
    Ok(ApplicantCaseFile {
        documents_open: !document_service::CLOSED_STATES.contains(&current),
        services,
        partner_labels,
        events,
        reserved,
        confirmed: matches!(
            current,
            RequestState::Scheduled | RequestState::Done | RequestState::Closed
        ),
        digs_trench,
        candidates,
        offer,
        refusals,
        documents,
        checklist,
        dossier_invoice,
        request,
    })
}

/// A staff member's case file of request `request_id`: a request that does not involve their
/// organisation is [`CaseFileError::NotFound`]. The one kept in memory for their organisation
/// while nothing it shows has changed, else read and kept.
pub async fn for_staff(
    state: &AppState,
    user: &SessionUser,
    request_id: RequestId,
) -> Result<StaffFile, CaseFileError> {
    // Only the revisions (with the access check) to serve a kept file; the request to build one.
    let stamp = requests::stamp_for(&state.db, &user.scope(), request_id).await?;
    // What a staff member reads depends on their organisation only.
    let key = format!("{}:{}", stamp.id, user.organisation_id);
    let kept = kept::view(
        state,
        &key,
        Revisions::of_stamp(&stamp),
        Lifetime::Clocked,
        async {
            let request = requests::get_for(&state.db, &user.scope(), request_id).await?;
            read_staff_file(state, user, request).await
        },
    )
    .await?;
    // The VAT facts may read other requests of the same land (V-3.1): read each time, once.
    let facts = facts_of(state, &kept.request).await?;
    Ok(StaffFile { kept, facts })
}

/// What the operator modules know of `request`, the VAT position with its proof.
async fn facts_of(
    state: &AppState,
    request: &RequestRow,
) -> Result<crate::operators::RequestFacts, CaseFileError> {
    crate::services::assess::facts_read(&state.db, request)
        .await
        .map_err(|e| match e {
            crate::services::assess::AssessError::Db(error) => error.into(),
            other => CaseFileError::Corrupt(other.to_string()),
        })
}

/// A staff member's case file of `request`, found in their scope, read from the database.
async fn read_staff_file(
    state: &AppState,
    user: &SessionUser,
    request: RequestRow,
) -> Result<StaffCaseFile, CaseFileError> {
    let scope: Scope = user.scope();
    let own = user.organisation_id;
    let coordinator = own == request.coordinator_id;
    let current = request.state;
    let services = service_lines(state, &request.access).await?;
    let partner_labels = partner_labels(state).await?;
    let events = events_of(
        requests::events(&state.db, &request.access, TimelineReader::Staff(&scope)).await?,
    );
    let answers = assessments::answers_for(&state.db, &scope, request.id).await?;
    let rows = document_rows::for_request(&state.db, &request.access).await?;
    let checklist = if coordinator {
        Some(checklist_of(&answers, &rows))
    } else {
        None
    };
    let documents = visible_documents(&request, coordinator, own, &answers, rows);
    let now = state.clock.now();
    let lines_open = matches!(
        current,
        RequestState::Submitted
            | RequestState::Incomplete
            | RequestState::Complete
            | RequestState::Assessed
            | RequestState::Quoted
            | RequestState::Accepted
            | RequestState::Lapsed
    );
    let organisations = organisations_of(&answers);
    let assessments: Vec<AnswerView> = answers
        .into_iter()
        .map(|row| {
            let own_part = row.organisation_id == own;
            AnswerView {
                late: row.status != AssessmentStatus::Answered && row.due_at < now,
                lines_editable: own_part
                    || (coordinator && row.status == AssessmentStatus::Answered && lines_open),
                own: own_part,
                id: row.id,
                organisation_id: row.organisation_id,
                operator: row.operator_name,
                service: row.service,
                status: row.status,
                version: row.version,
                due_at: row.due_at,
                answer: row.answer,
            }
        })
        .collect();
    let latest = LatestAnswers::of(
        assessments
            .iter()
            .map(|a| (a.service.clone(), a.answer.clone()))
            .collect(),
    );
    let booked = reservations(state, &request.access).await?;
    // The coordinator's offer and permit, read once for the page and the joint day.
    let (offer, permit_row) = if coordinator {
        (
            Some(offer_file(state, &request).await?),
            permits::current_for_request(&state.db, &request.access).await?,
        )
    } else {
        (None, None)
    };
    let mut deadlines = Vec::new();
    let joint_day = match booked.first().map(|r| r.0) {
        Some(day) => {
            let (crew_absent, construction_holiday) = if coordinator {
                (
                    crews::reserved_crew_absent(&state.db, &request.access).await?,
                    holidays::on_booked_day(state, &request.access, &request.commune_nis).await?,
                )
            } else {
                (false, None)
            };
            // An operator records its own works once done (the last of its parts counts).
            let own_works = if coordinator {
                None
            } else {
                assessments
                    .iter()
                    .filter(|a| a.own)
                    .map(|a| {
                        let done = booked
                            .iter()
                            .any(|(_, c)| c.service == a.service && c.done_at.is_some());
                        (a.id, done)
                    })
                    .next_back()
            };
            StaffJointDay::Reserved {
                day,
                crews: booked
                    .into_iter()
                    .map(|(_, c)| c)
                    .filter(|c| coordinator || c.organisation_id == own)
                    .collect(),
                confirmed: matches!(
                    current,
                    RequestState::Scheduled | RequestState::Done | RequestState::Closed
                ),
                crew_absent,
                construction_holiday,
                own_works,
            }
        }
        // The open joint day and the works deadlines come from one read of their inputs.
        None if coordinator => {
            let today = state.clock.today();
            let known = offer.as_ref().map(|offer| {
                known_parts_with(
                    organisations.clone(),
                    offer,
                    Some(permit_row.as_ref().map(|p| p.status)),
                )
            });
            StaffJointDay::Open(
                match schedule::lead_time_inputs(state, &request, &latest, known.as_ref()).await {
                    Ok(inputs) => {
                        deadlines = match schedule::deadlines_with(
                            state, &request, &latest, today, &inputs,
                        ) {
                            Ok(deadlines) => deadlines,
                            Err(ScheduleError::Db(error)) => return Err(error.into()),
                            // Not every operator answered yet, or no province: the joint
                            // day says why.
                            Err(_) => Vec::new(),
                        };
                        match schedule::candidates_with(state, &request, &latest, today, &inputs)
                            .await
                        {
                            Err(ScheduleError::Db(error)) => return Err(error.into()),
                            other => other,
                        }
                    }
                    Err(ScheduleError::Db(error)) => return Err(error.into()),
                    Err(other) => Err(other),
                },
            )
        }
        None => StaffJointDay::Hidden,
    };
    let (officers, permit) = if coordinator {
        (
            requests::case_officers(&state.db, &scope).await?,
            permit_row.map(|p| PermitView {
                id: p.id,
                status: p.status,
                day: p.day,
                requested_at: p.requested_at,
                due_on: p.due_on,
                decision_text: p.decision_text,
                decided_at: p.decided_at,
            }),
        )
    } else {
        (Vec::new(), None)
    };
    let dossier_invoice = if coordinator {
        crate::services::dossier_fee::of_request(state, &request.access).await?
    } else {
        None
    };
    Ok(StaffCaseFile {
        dossier_invoice,
        coordinator,
        services,
        partner_labels,
        events,
        assessments,
        documents,
        checklist,
        joint_day,
        offer,
        officers,
        permit,
        deadlines,
        request,
    })
}

/// (service, organisation id) of every assessment read.
fn organisations_of(answers: &[assessments::CaseAnswerRow]) -> Vec<(String, OrganisationId)> {
    answers
        .iter()
        .map(|a| (a.service.clone(), a.organisation_id))
        .collect()
}

/// What the joint day needs that an applicant's or coordinator's case file already read.
fn known_parts<'a>(
    answers: &[assessments::CaseAnswerRow],
    offer: &'a OfferFile,
    permit_status: Option<Option<PermitStatus>>,
) -> schedule::KnownParts<'a> {
    known_parts_with(organisations_of(answers), offer, permit_status)
}

fn known_parts_with<'a>(
    organisations: Vec<(String, OrganisationId)>,
    offer: &'a OfferFile,
    permit_status: Option<Option<PermitStatus>>,
) -> schedule::KnownParts<'a> {
    schedule::KnownParts {
        organisations,
        latest_offer: offer
            .versions
            .first()
            .map(|v| (v.status, v.dues.as_slice())),
        permit_status,
    }
}

async fn service_lines(
    state: &AppState,
    request: &RequestAccess,
) -> Result<Vec<ServiceLine>, DbError> {
    Ok(requests::services(&state.db, request)
        .await?
        .into_iter()
        .map(|row| ServiceLine {
            service: row.service,
            operator: row.operator_name,
        })
        .collect())
}

fn events_of(rows: Vec<requests::EventRow>) -> Vec<Event> {
    rows.into_iter()
        .map(|row| Event {
            at: row.at,
            kind: row.kind,
            actor_kind: row.actor_kind,
            actor_name: row.actor_name,
            organisation_name: row.organisation_name,
            detail: row.detail,
            public: row.public == 1,
        })
        .collect()
}

impl DocumentView {
    /// A stored document, downloaded at `download_url`.
    pub fn of(row: document_rows::DocumentRow, download_url: String) -> DocumentView {
        DocumentView {
            created_at: row.created_at,
            id: row.id,
            kind: row.kind,
            filename: row.filename,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            uploaded_by: row.uploaded_by,
            download_url,
        }
    }
}

/// The completeness checklist from every operator's latest answer and the documents received.
fn checklist_of(
    answers: &[assessments::CaseAnswerRow],
    documents: &[document_rows::DocumentRow],
) -> Checklist {
    let mut given = Vec::new();
    let mut unanswered = 0;
    for row in answers {
        match (row.status, &row.answer) {
            (AssessmentStatus::Answered, Some(answer)) => given.push(OperatorAnswer {
                operator: row.operator_name.clone(),
                service: row.service.clone(),
                prerequisites: answer.prerequisites.clone(),
            }),
            _ => unanswered += 1,
        }
    }
    let received: Vec<DocumentKind> = documents
        .iter()
        .filter_map(|row| row.kind.parse().ok())
        .collect();
    Checklist::build(&given, &received, unanswered)
}

/// The documents the reader may open, each with its download address: all of them for the
/// coordinator; for an operator, those answering its own prerequisites (through its
/// assessment); none for anybody else.
fn visible_documents(
    request: &RequestRow,
    coordinator: bool,
    own: OrganisationId,
    answers: &[assessments::CaseAnswerRow],
    rows: Vec<document_rows::DocumentRow>,
) -> Vec<DocumentView> {
    if coordinator {
        return rows
            .into_iter()
            .map(|row| {
                let url = format!("/backoffice/requests/{}/documents/{}", request.id, row.id);
                DocumentView::of(row, url)
            })
            .collect();
    }
    let mut visible: Vec<DocumentView> = Vec::new();
    for assessment in answers.iter().filter(|a| a.organisation_id == own) {
        let codes: Vec<String> = match &assessment.answer {
            Some(answer) => answer
                .prerequisites
                .iter()
                .map(|p| p.code.clone())
                .collect(),
            None => Vec::new(),
        };
        for row in rows.iter().filter(|row| {
            row.kind
                .parse::<DocumentKind>()
                .is_ok_and(|kind| kind.concerns(codes.iter().map(String::as_str)))
        }) {
            if !visible.iter().any(|v| v.id == row.id) {
                let url = format!(
                    "/operator/assessments/{}/documents/{}",
                    assessment.id, row.id
                );
                visible.push(DocumentView::of(row.clone(), url));
            }
        }
    }
    visible
}

/// The reserved joint day crew by crew: (day, booking); empty when none is reserved.
async fn reservations(
    state: &AppState,
    request: &RequestAccess,
) -> Result<Vec<(NaiveDate, CrewBooking)>, DbError> {
    Ok(crews::reservations_of(&state.db, request)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.day,
                CrewBooking {
                    service: r.service,
                    organisation_id: r.organisation_id,
                    crew: r.crew_name,
                    done_at: r.done_at,
                },
            )
        })
        .collect())
}

/// Every offer version with its dues: three queries whatever the number of versions.
async fn offer_file(state: &AppState, request: &RequestRow) -> Result<OfferFile, CaseFileError> {
    let rows = offers::for_request(&state.db, &request.access).await?;
    let mut dues: HashMap<OfferId, Vec<Due>> = HashMap::new();
    if !rows.is_empty() {
        let payments = offers::payments_of_request(&state.db, &request.access).await?;
        let all = offer_service::dues_of(
            offers::dues_of_request(&state.db, &request.access).await?,
            &payments,
        )?;
        for due in all {
            dues.entry(due.offer_id).or_default().push(due);
        }
    }
    let today = state.clock.today();
    let versions = rows
        .into_iter()
        .map(|row| {
            Ok(OfferVersion {
                document: row.document,
                dues: dues.remove(&row.id).unwrap_or_default(),
                version: row.version,
                status: row.status,
                language: row.language,
                sent_at: row.sent_at,
                valid_until: row.valid_until,
                accepted_at: row.accepted_at,
                accepted_by: row.accepted_by_kind,
                supersedes_reason: row.supersedes_reason,
            })
        })
        .collect::<Result<Vec<_>, CaseFileError>>()?;
    let latest = versions.first();
    let current = request.state;
    Ok(OfferFile {
        open: latest.is_some_and(|o| o.status == OfferStatus::Sent && o.valid_until >= today),
        can_send: offer_service::may_send(current, latest.is_some()),
        change_requested: request.change_requested_at.is_some(),
        // An offer once accepted; an invoice (V-2.3, V-7) as soon as it is sent.
        can_record_payment: latest.is_some_and(|o| {
            o.status == OfferStatus::Accepted
                || (o.status == OfferStatus::Sent
                    && o.dues
                        .iter()
                        .any(|d| d.document == crate::quote::DocumentKind::Invoice))
        }),
        can_confirm_day: current == RequestState::ReadyForWorks,
        pays_after_works: request.pays_after_works != 0,
        versions,
    })
}
