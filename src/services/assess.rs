//! Fan-out: each operator involved in a request assesses its part, through a durable task
//! per operator created with the request and answered exactly once by a worker.

use std::{sync::Arc, time::Duration as StdDuration};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    db::{
        self, Db, DbError, Tx,
        assessments::{self, AssessmentRow, NewVersion},
        requests::{self, NewEvent, RequestRow},
    },
    domain::{ApplicantKind, Building, ElectricityBand, InputError, Service},
    mail::worker::backoff,
    operators::{self, RequestFacts, add_working_days},
};

/// After this many failed attempts a task is left failed, in sight of the case officer.
pub const MAX_ATTEMPTS: i64 = 6;
/// How long a claim keeps other workers off a task; a worker that dies is replaced then.
pub const LEASE: Duration = Duration::seconds(120);

#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("stored request is not readable: {0}")]
    Corrupt(String),
    #[error("encoding the answer: {0}")]
    Encode(#[from] serde_json::Error),
}

impl From<InputError> for AssessError {
    fn from(error: InputError) -> Self {
        AssessError::Corrupt(format!("{error:?}"))
    }
}

/// Creates, inside the filing transaction, one task per operator serving the request.
pub async fn create_tasks(
    tx: &mut Tx,
    request_id: Uuid,
    operators: &[(Uuid, Service)],
    now: DateTime<Utc>,
    due_working_days: u32,
) -> Result<(), DbError> {
    // The same time of day, `due_working_days` working days later.
    let due_day = add_working_days(now.date_naive(), due_working_days);
    let due_at = now + (due_day - now.date_naive());
    for (organisation_id, service) in operators {
        assessments::create(
            tx,
            request_id,
            *organisation_id,
            service.code(),
            now,
            due_at,
        )
        .await?;
    }
    Ok(())
}

/// What the operator module may know of the request.
pub fn facts_of(request: &RequestRow, service: Service) -> Result<RequestFacts, AssessError> {
    let applicant_kind = match request.applicant_kind.as_str() {
        "legal" => ApplicantKind::Legal,
        _ => ApplicantKind::Natural,
    };
    let building = match request.building.as_str() {
        "house" => Building::House,
        _ => Building::Apartments {
            dwellings: u32::try_from(request.dwellings)
                .map_err(|_| AssessError::Corrupt("dwellings".into()))?,
        },
    };
    let electricity_band = request
        .electricity_band
        .as_deref()
        .map(ElectricityBand::parse)
        .transpose()?;
    let submitted_on = db::parse_ts(&request.submitted_at)?.date_naive();
    Ok(RequestFacts {
        service,
        applicant_kind,
        building,
        has_address: request.street.is_some() && request.house_number.is_some(),
        electricity_band,
        submitted_on,
    })
}

/// Answers every task due at `now`. Returns how many answers were recorded.
pub async fn assess_due(db: &Db, now: DateTime<Utc>) -> Result<usize, AssessError> {
    let mut answered = 0;
    while let Some(task) = assessments::claim_due(db, now, LEASE).await? {
        match answer(db, &task, now).await {
            Ok(true) => answered += 1,
            Ok(false) => {}
            Err(error) => {
                let retry_at = (task.attempts < MAX_ATTEMPTS).then(|| now + backoff(task.attempts));
                tracing::warn!(task = %task.id, attempts = task.attempts, %error, "assessment failed");
                assessments::mark_failed(db, &task.id, &error.to_string(), retry_at).await?;
            }
        }
    }
    Ok(answered)
}

/// Records the module's answer, the timeline event and, with the last answer, the
/// request's move to "assessed" — all in one transaction. False when another worker
/// answered first.
async fn answer(db: &Db, task: &AssessmentRow, now: DateTime<Utc>) -> Result<bool, AssessError> {
    let mut tx = db.begin_write().await?;
    let request = requests::get_for_worker(&mut tx, &task.request_id).await?;
    let service: Service = task.service.parse()?;
    let assessment = operators::module_for(service).assess(&facts_of(&request, service)?);
    let body = serde_json::to_string(&assessment)?;
    let recorded = assessments::record_version(
        &mut tx,
        &task.id,
        task.version,
        &NewVersion {
            feasibility: assessment.feasibility.code(),
            body: &body,
            actor_kind: "system",
            actor_id: None,
            reason: None,
        },
        now,
    )
    .await;
    match recorded {
        Ok(_) => {}
        Err(DbError::Conflict(_)) => {
            tx.rollback().await.map_err(DbError::from)?;
            return Ok(false);
        }
        Err(other) => return Err(other.into()),
    }
    let request_id = db::parse_uuid(&request.id)?;
    let organisation_id = db::parse_uuid(&task.organisation_id)?;
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id,
            at: now,
            kind: "operator_assessed",
            actor_kind: "system",
            actor_id: None,
            actor_name: None,
            organisation_id: Some(organisation_id),
            detail: Some(service.code()),
            public: false,
        },
    )
    .await?;
    if assessments::unanswered(&mut tx, &request.id).await? == 0
        && requests::advance_state(&mut tx, &request.id, "submitted", "assessed", now).await?
    {
        requests::insert_event(
            &mut tx,
            &NewEvent {
                request_id,
                at: now,
                kind: "assessed",
                actor_kind: "system",
                actor_id: None,
                actor_name: None,
                organisation_id: None,
                detail: None,
                public: true,
            },
        )
        .await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

/// Runs until the process stops: wakes on `notify` (new tasks) or every `poll`.
pub async fn run(db: Db, notify: Arc<Notify>, poll: StdDuration) {
    loop {
        if let Err(error) = assess_due(&db, Utc::now()).await {
            tracing::error!(%error, "assessment worker");
        }
        tokio::select! {
            () = notify.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}
