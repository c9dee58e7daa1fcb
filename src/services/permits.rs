//! The joint road-works permit (rule C-6): requested in the reservation's transaction when a
//! joint day touches the public domain, decided by the commune (approve, approve with
//! conditions, ask for information, refuse), answered and acknowledged by the case officer.
//! Every step is recorded with who and when, and appended to the request's timeline.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::domain::tenancy::Role;
use crate::domain::{OrganisationId, PermitId, RequestId};
use crate::{
    config::Config,
    db::{
        self, Db, DbError, Scope, Tx,
        permits::{self, NewAction, NewPermit, PermitRow, SiteRow, WorkRow},
        requests::{self, NewEvent, RequestRow},
        sessions::SessionUser,
        users,
    },
    domain::{
        MapPoint, ServiceCode,
        error::required_text,
        nuisance::{self, JointDayRecord, OperatorWork},
        permit::{
            self as rules, Decision, DecisionError, PermitStatus, RoadType, SiteDetails, TEXT_MAX,
            due_on, trench_metres,
        },
    },
    i18n::Tr,
    mail::compose,
    state::AppState,
};

#[derive(Debug, thiserror::Error)]
pub enum PermitError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Decision(#[from] DecisionError),
    #[error("no permit has been requested for this site")]
    NoPermit,
    #[error("the commune asked no question")]
    NoQuestion,
    #[error("an answer is required")]
    AnswerRequired,
    #[error("no conditions to acknowledge")]
    NoConditions,
    #[error("the commune already approved the works as they are")]
    AlreadyApproved,
    #[error("another change came first")]
    Stale,
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for PermitError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => Self::NotFound,
            other => Self::Db(other),
        }
    }
}

/// Whether the joint day of a request may be confirmed: `Some(translation key)` telling why
/// not while its permit is pending, awaits an answer, was refused, or was approved with
/// conditions the case officer has not acknowledged; `None` when it may (approved, or no
/// permit is needed: no civil works, or a commune that is not on the portal).
/// Translate the key with `tr.t(key)`.
pub async fn confirmation_blocker(
    db: &Db,
    request: &crate::db::RequestAccess,
) -> Result<Option<String>, DbError> {
    let Some(permit) = permits::current_for_request(db, request).await? else {
        return Ok(None);
    };
    Ok(blocker_of(&permit))
}

/// What in `permit` blocks the confirmation of the day (a translation key), if anything.
pub fn blocker_of(permit: &permits::PermitRow) -> Option<String> {
    let acknowledged = permit.conditions_acknowledged_at.is_some();
    rules::confirmation_blocker(permit.status, acknowledged).map(str::to_owned)
}

/// The site details as stated, or the defaults until the case officer states them.
pub async fn site_details(
    db: &Db,
    request: &crate::db::RequestAccess,
) -> Result<SiteDetails, DbError> {
    Ok(match permits::site(db, request).await? {
        Some(row) => details_of(&row),
        None => SiteDetails::default(),
    })
}

fn details_of(row: &SiteRow) -> SiteDetails {
    SiteDetails {
        road_type: RoadType::parse(&row.road_type).unwrap_or_default(),
        sidewalk_openings: u32::try_from(row.sidewalk_openings).unwrap_or_default(),
        road_openings: u32::try_from(row.road_openings).unwrap_or_default(),
        traffic_measures: row.traffic_measures.clone(),
        site_point: row
            .site_point
            .as_deref()
            .and_then(|p| MapPoint::parse(p).ok()),
    }
}

/// An operator's part of a joint day just reserved: its service and whether its crew does
/// civil works (opens the public domain).
#[derive(Debug, Clone)]
pub struct ReservedWork {
    pub service: ServiceCode,
    pub civil_works: bool,
}

fn event<'a>(
    request_id: RequestId,
    at: DateTime<Utc>,
    kind: &'a str,
    actor: Option<&'a SessionUser>,
    detail: Option<&'a str>,
) -> NewEvent<'a> {
    NewEvent {
        request_id,
        at,
        kind,
        // A commune's system deciding through its API key is named as the key (issue 21).
        actor_kind: match actor {
            Some(user) if user.api_key.is_some() => "api_key",
            Some(_) => "staff",
            None => "system",
        },
        actor_id: actor.map(|u| u.user_id),
        actor_name: actor.map(|u| u.display_name.as_str()),
        organisation_id: actor
            .filter(|user| user.api_key.is_some())
            .map(|user| user.organisation_id),
        detail,
        // The permit is between the commune, the case officer and the operators.
        public: false,
    }
}

/// In the reservation's transaction: when any crew of the joint day does civil works, one
/// permit request for the site covers every operator's works, with each one's trench (its
/// quote lines in metres, else the configured default). A commune that is not on the portal
/// gets it the usual way: the permit is recorded as `offline` (no decision here, no block).
/// A commune on the portal is told at once by email (C-6): its 45 days run from today.
pub async fn request_for_joint_day(
    tx: &mut Tx,
    config: &Config,
    base_url: &str,
    request: &RequestRow,
    day: NaiveDate,
    works: &[ReservedWork],
    now: DateTime<Utc>,
) -> Result<Option<PermitId>, DbError> {
    if !works.iter().any(|w| w.civil_works) {
        return Ok(None);
    }
    let municipality = permits::municipality_of(tx, request.id).await?;
    let answers = permits::latest_answers(tx, request.id).await?;
    let id = PermitId::generate();
    let requested_on = crate::clock::day_of(now);
    let due = due_on(requested_on, config.permit_decision_days);
    let status = if municipality.is_some() {
        PermitStatus::Pending
    } else {
        PermitStatus::Offline
    };
    permits::insert(
        tx,
        &NewPermit {
            id,
            request_id: request.id,
            municipality_id: municipality,
            commune_nis: &request.commune_nis,
            status,
            day,
            requested_at: now,
            due_on: due,
        },
    )
    .await?;
    let mut asked = Vec::new();
    for work in works {
        let code = work.service.as_str();
        let answer = answers.iter().find(|(service, _, _)| service == code);
        let lines = answer
            .and_then(|(_, _, answer)| answer.as_ref())
            .map(|a| a.lines.clone())
            .unwrap_or_default();
        let metres = trench_metres(
            lines.iter().map(|l| (l.unit.as_str(), l.quantity)),
            config.permit_trench_defaults.for_service(code),
        );
        asked.push((code.to_owned(), work.civil_works, metres));
        permits::insert_work(
            tx,
            id,
            code,
            answer.map(|(_, organisation, _)| *organisation),
            work.civil_works,
            &metres.normalize().to_string(),
        )
        .await?;
    }
    permits::insert_action(
        tx,
        &NewAction {
            permit_id: id,
            at: now,
            action: "requested",
            actor_id: None,
            actor_name: None,
            organisation_id: None,
            text: None,
        },
    )
    .await?;
    let detail = format!("{} — {}", request.commune_name, due);
    let kind = if municipality.is_some() {
        "permit.requested"
    } else {
        "permit.offline"
    };
    requests::insert_event(tx, &event(request.id, now, kind, None, Some(&detail))).await?;
    if let Some(municipality) = municipality {
        let asked = AskedPermit {
            id,
            day,
            due,
            works: &asked,
        };
        tell_commune(tx, base_url, municipality, request, &asked, now).await?;
    }
    Ok(Some(id))
}

/// A permit request as the commune is told of it: the works of each operator (service,
/// civil works, trench metres).
struct AskedPermit<'a> {
    id: PermitId,
    day: NaiveDate,
    due: NaiveDate,
    works: &'a [(String, bool, Decimal)],
}

/// The commune hears of a permit request by email, in the transaction that records it (C-6),
/// so that its decision period does not run unseen: each active staff account of the
/// commune's organisation, in its language, once per request (the mail is written with the
/// permit row; a repeated reservation finds the day taken and writes neither). A refused
/// permit asked again runs a new deadline: the commune is told again.
async fn tell_commune(
    tx: &mut Tx,
    base_url: &str,
    municipality: OrganisationId,
    request: &RequestRow,
    permit: &AskedPermit<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let link = format!(
        "{}/commune/permits/{}",
        base_url.trim_end_matches('/'),
        permit.id
    );
    let site = request.site_line();
    for (email, name, language) in
        users::active_of_organisation(tx, municipality, Role::Municipality).await?
    {
        let tr = Tr(language.parse().unwrap_or_default());
        let day = tr.date(permit.day);
        let due = tr.date(permit.due);
        let works: Vec<String> = permit
            .works
            .iter()
            .map(|(service, civil_works, metres)| {
                let label = service_label(tr, service);
                if *civil_works {
                    let metres = tr.number(metres.round_dp(1));
                    tr.f(
                        "permit.mail.requested.trench",
                        [("service", label.as_str()), ("metres", metres.as_str())],
                    )
                } else {
                    tr.f("permit.mail.requested.laid", [("service", label.as_str())])
                }
            })
            .collect();
        let paragraphs = vec![
            tr.f(
                "permit.mail.requested.intro",
                [("reference", request.reference.as_str())],
            ),
            field(tr, "permit.mail.requested.address", &site),
            field(tr, "permit.mail.requested.day", &day),
            field(tr, "permit.mail.requested.works", &works.join(" ; ")),
            tr.f("permit.mail.requested.due", [("due", due.as_str())]),
            format!("{} {link}", tr.t("permit.mail.requested.open")),
        ];
        let notice = compose::Notice {
            subject: tr.f(
                "permit.mail.requested.subject",
                [
                    ("reference", request.reference.as_str()),
                    ("due", due.as_str()),
                ],
            ),
            name,
            paragraphs,
            link: None,
        };
        enqueue_notice(tx, "permit_requested", request, &email, tr, &notice, now).await?;
    }
    Ok(())
}

/// Writes `notice` to `email` in the outbox, as mail `kind` of the request.
async fn enqueue_notice(
    tx: &mut Tx,
    kind: &str,
    request: &RequestRow,
    email: &str,
    tr: Tr,
    notice: &compose::Notice,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mail =
        compose::notice(tr, notice).map_err(|e| DbError::Corrupt(format!("{kind} mail: {e}")))?;
    crate::services::outbox::enqueue_mail(tx, kind, Some(request.id), email, &mail, &[], now)
        .await?;
    Ok(())
}

/// `label : value` as the reader's language writes it.
fn field(tr: Tr, label: &str, value: &str) -> String {
    tr.f("format.field", [("label", tr.t(label)), ("value", value)])
}

/// The label of one of the five services of the joint procedure; a partner's code as it is.
fn service_label(tr: Tr, code: &str) -> String {
    if crate::domain::Service::ALL.iter().any(|s| s.code() == code) {
        tr.keyed("service", code)
    } else {
        code.to_owned()
    }
}

/// In the cancellation's transaction: the day's permit request is void.
pub async fn cancel_for_request(
    tx: &mut Tx,
    request_id: RequestId,
    user: Option<&SessionUser>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let Some(permit_id) = permits::cancel_open(tx, request_id, now).await? else {
        return Ok(());
    };
    permits::insert_action(
        tx,
        &NewAction {
            permit_id,
            at: now,
            action: "cancelled",
            actor_id: user.map(|u| u.user_id),
            actor_name: user.map(|u| u.display_name.as_str()),
            organisation_id: user.map(|u| u.organisation_id),
            text: Some(reason),
        },
    )
    .await?;
    requests::insert_event(
        tx,
        &event(request_id, now, "permit.cancelled", user, Some(reason)),
    )
    .await?;
    Ok(())
}

/// The commune decides on one of its permits: recorded with who and when, in the timeline
/// the case officer reads.
pub async fn decide(
    state: &AppState,
    user: &SessionUser,
    permit_id: PermitId,
    decision: &Decision,
    now: DateTime<Utc>,
) -> Result<PermitRow, PermitError> {
    let mut tx = state.db.begin_write().await?;
    let permit = permits::get_for_municipality_tx(&mut tx, &user.scope(), permit_id).await?;
    let current = permit.status;
    // A second click of the same decision, after the first one's write: its outcome, not a
    // refusal (like confirming the day). A different decision is refused below (C-6).
    if decision.made_as(current, permit.decision_text.as_deref()) {
        tx.rollback().await.map_err(DbError::from)?;
        return Ok(permit);
    }
    let next = decision.next_status(current)?;
    let text = decision.text();
    if !permits::record_decision(&mut tx, permit.id, current, next, text, user.user_id, now).await?
    {
        // A simultaneous click wrote first (PostgreSQL): the same decision is that click's
        // outcome; anything else is a change this one did not see.
        let now_permit =
            permits::get_for_municipality_tx(&mut tx, &user.scope(), permit_id).await?;
        tx.rollback().await.map_err(DbError::from)?;
        if decision.made_as(now_permit.status, now_permit.decision_text.as_deref()) {
            return Ok(now_permit);
        }
        return Err(PermitError::Stale);
    }
    permits::insert_action(
        &mut tx,
        &NewAction {
            permit_id: permit.id,
            at: now,
            action: next.code(),
            actor_id: Some(user.user_id),
            actor_name: Some(&user.display_name),
            organisation_id: Some(user.organisation_id),
            text,
        },
    )
    .await?;
    let kind = format!("permit.{}", next.code());
    let detail = match text {
        Some(text) => format!("{} — {text}", user.organisation_name),
        None => user.organisation_name.clone(),
    };
    requests::insert_event(
        &mut tx,
        &event(permit.request_id, now, &kind, Some(user), Some(&detail)),
    )
    .await?;
    tell_officers(state, &mut tx, user, &permit, next, text, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(permit)
}

/// The commune's decision reaches the case officer by email too, in the same transaction
/// as the decision: the request's officer, or the coordinator's officers while nobody has
/// taken it.
async fn tell_officers(
    state: &AppState,
    tx: &mut Tx,
    commune: &SessionUser,
    permit: &PermitRow,
    decided: PermitStatus,
    text: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), PermitError> {
    let request = requests::get_for_worker(tx, permit.request_id).await?;
    let link = format!(
        "{}/backoffice/requests/{}",
        state.base_url.trim_end_matches('/'),
        request.id
    );
    for (email, name, language) in users::officers_of_request(tx, permit.request_id).await? {
        let tr = Tr(language.parse().unwrap_or_default());
        let decision = tr.keyed("permit.status", decided.code());
        let mut paragraphs = vec![tr.f(
            "permit.mail.decided",
            [
                ("commune", commune.organisation_name.as_str()),
                ("decision", decision.as_str()),
                ("reference", request.reference.as_str()),
                ("day", permit.day.to_string().as_str()),
            ],
        )];
        if let Some(text) = text {
            paragraphs.push(format!(
                "{} : {text}",
                tr.keyed("permit.decision_text", decided.code())
            ));
        }
        paragraphs.push(
            tr.t(&format!("permit.mail.next.{}", decided.code()))
                .to_owned(),
        );
        paragraphs.push(format!("{} {link}", tr.t("permit.mail.open")));
        let notice = compose::Notice {
            subject: tr.f(
                "permit.mail.subject",
                [("reference", request.reference.as_str())],
            ),
            name,
            paragraphs,
            link: None,
        };
        enqueue_notice(tx, "permit_decided", &request, &email, tr, &notice, now).await?;
    }
    Ok(())
}

/// The case officer answers the commune's question: the request goes back to the commune.
pub async fn answer(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), PermitError> {
    let text = required_text(text, TEXT_MAX).map_err(|_| PermitError::AnswerRequired)?;
    let mut tx = state.db.begin_write().await?;
    let Some(permit) = permits::current_for_request_tx(&mut tx, request.id).await? else {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(PermitError::NoPermit);
    };
    if !permits::set_status(
        &mut tx,
        permit.id,
        PermitStatus::InformationRequested,
        PermitStatus::Pending,
        now,
    )
    .await?
    {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(PermitError::NoQuestion);
    }
    officer_step(
        &mut tx,
        user,
        &permit,
        "information_given",
        Some(&text),
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// The case officer acknowledges the commune's conditions: the day may then be confirmed.
pub async fn acknowledge(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    now: DateTime<Utc>,
) -> Result<(), PermitError> {
    let mut tx = state.db.begin_write().await?;
    let Some(permit) = permits::current_for_request_tx(&mut tx, request.id).await? else {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(PermitError::NoPermit);
    };
    if !permits::acknowledge_conditions(&mut tx, permit.id, now).await? {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(PermitError::NoConditions);
    }
    officer_step(&mut tx, user, &permit, "conditions_acknowledged", None, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

async fn officer_step(
    tx: &mut Tx,
    user: &SessionUser,
    permit: &PermitRow,
    action: &str,
    text: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    permits::insert_action(
        tx,
        &NewAction {
            permit_id: permit.id,
            at: now,
            action,
            actor_id: Some(user.user_id),
            actor_name: Some(&user.display_name),
            organisation_id: Some(user.organisation_id),
            text,
        },
    )
    .await?;
    let kind = format!("permit.{action}");
    requests::insert_event(tx, &event(permit.request_id, now, &kind, Some(user), text)).await
}

/// The case officer states the site's road works (before or after the day is reserved). A
/// permit the commune approved cannot change under it; a refused one is asked again with
/// the new details and a new deadline.
pub async fn save_site(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    details: &SiteDetails,
    now: DateTime<Utc>,
) -> Result<(), PermitError> {
    let mut tx = state.db.begin_write().await?;
    let permit = permits::current_for_request_tx(&mut tx, request.id).await?;
    let mut told = false;
    if let Some(permit) = &permit {
        match permit.status {
            PermitStatus::Approved | PermitStatus::ApprovedWithConditions => {
                tx.rollback().await.map_err(DbError::from)?;
                return Err(PermitError::AlreadyApproved);
            }
            PermitStatus::Refused => {
                let due = due_on(crate::clock::day_of(now), state.config.permit_decision_days);
                if !permits::resubmit(&mut tx, permit.id, now, due).await? {
                    tx.rollback().await.map_err(DbError::from)?;
                    return Err(PermitError::Stale);
                }
                officer_step(&mut tx, user, permit, "resubmitted", None, now).await?;
                // Asked again, with a new deadline: the commune is told as of a new request.
                if let Some(municipality) = permit.municipality_id {
                    let works: Vec<(String, bool, Decimal)> = permits::works_in(&mut tx, permit.id)
                        .await?
                        .into_iter()
                        .map(|w| (w.service, w.civil_works != 0, w.trench_metres))
                        .collect();
                    let asked = AskedPermit {
                        id: permit.id,
                        day: permit.day,
                        due,
                        works: &works,
                    };
                    tell_commune(&mut tx, &state.base_url, municipality, request, &asked, now)
                        .await?;
                    told = true;
                }
            }
            PermitStatus::Pending | PermitStatus::InformationRequested => {
                officer_step(&mut tx, user, permit, "details_changed", None, now).await?;
            }
            PermitStatus::Cancelled | PermitStatus::Offline => {}
        }
    }
    permits::save_site(
        &mut tx,
        request.id,
        &SiteRow {
            road_type: details.road_type.code().to_owned(),
            sidewalk_openings: i64::from(details.sidewalk_openings),
            road_openings: i64::from(details.road_openings),
            traffic_measures: details.traffic_measures.clone(),
            site_point: details.site_point.map(|p| p.to_string()),
        },
        user.user_id,
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    if told {
        state.outbox_notify.notify_one();
    }
    Ok(())
}

/// One joint day as the commune's calendar and map show it: a site, a day, its operators.
#[derive(Debug, Clone)]
pub struct JointDay {
    pub request_id: RequestId,
    pub reference: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: String,
    pub commune_nis: String,
    pub commune_name: String,
    pub parcel_ref: Option<String>,
    pub day: NaiveDate,
    /// (service, civil works, done, trench metres)
    pub operators: Vec<(String, bool, bool, Option<Decimal>)>,
    pub permit_id: Option<PermitId>,
    pub permit_status: Option<PermitStatus>,
    /// Where to put the marker: the site's point, the request's, else the commune centre.
    pub point: Option<MapPoint>,
    /// The point is the commune centre, not the site.
    pub approximate: bool,
}

impl JointDay {
    pub fn done(&self) -> bool {
        self.operators.iter().all(|(_, _, done, _)| *done)
    }

    pub fn site(&self) -> String {
        let mut parts = Vec::new();
        if let (Some(street), Some(number)) = (&self.street, &self.house_number) {
            parts.push(format!("{street} {number}"));
        } else if let Some(street) = &self.street {
            parts.push(street.clone());
        }
        parts.push(format!("{} {}", self.postcode, self.commune_name));
        if let Some(parcel) = &self.parcel_ref {
            parts.push(parcel.clone());
        }
        parts.join(", ")
    }

    pub fn record(&self) -> JointDayRecord {
        JointDayRecord {
            commune_nis: self.commune_nis.clone(),
            street: self.street.clone(),
            day: self.day,
            operators: self
                .operators
                .iter()
                .map(|(service, civil, _, metres)| OperatorWork {
                    service: service.clone(),
                    civil_works: *civil,
                    trench_metres: metres.unwrap_or_default(),
                })
                .collect(),
            done: self.done(),
        }
    }
}

/// The nuisance figures (C-6) of the joint days in `[from, to]`, per month, for one commune
/// or all those of the tenant.
pub async fn figures(
    db: &Db,
    scope: &Scope,
    commune_nis: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<nuisance::Report, DbError> {
    // Twelve months before the period too: a street opened then and again in the period counts.
    let since = from - chrono::Months::new(12);
    // From the done joint days summed per commune, street and day by the writes
    // (db::summaries), not from every joint day.
    let days = db::summaries::nuisance_days(db, scope, commune_nis, since, to).await?;
    Ok(nuisance::report_of_days(&days, from, to))
}

/// The joint days in `[from, to]` of the requests the tenant is party to (one commune or
/// all), one per site and day, by day.
pub async fn joint_days(
    db: &Db,
    scope: &Scope,
    commune_nis: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<JointDay>, DbError> {
    let rows = permits::works_between(db, scope, commune_nis, from, to).await?;
    let mut days: BTreeMap<(NaiveDate, RequestId), JointDay> = BTreeMap::new();
    for row in rows {
        let key = (row.day, row.request_id);
        let WorkRow {
            request_id,
            reference,
            street,
            house_number,
            postcode,
            commune_nis,
            commune_name,
            parcel_ref,
            map_point,
            site_point,
            day,
            service,
            civil_works,
            done_at,
            permit_id,
            permit_status,
            trench_metres,
        } = row;
        let entry = match days.entry(key) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => {
                let own = site_point
                    .as_deref()
                    .or(map_point.as_deref())
                    .and_then(|p| MapPoint::parse(p).ok());
                let centre = crate::domain::centres::commune_centre(&commune_nis);
                entry.insert(JointDay {
                    request_id,
                    reference,
                    street,
                    house_number,
                    postcode,
                    approximate: own.is_none() && centre.is_some(),
                    point: own.or(centre),
                    commune_nis,
                    commune_name,
                    parcel_ref,
                    day,
                    operators: Vec::new(),
                    permit_id,
                    permit_status,
                })
            }
        };
        entry
            .operators
            .push((service, civil_works != 0, done_at.is_some(), trench_metres));
    }
    let mut out: Vec<JointDay> = days.into_values().collect();
    out.sort_by(|a, b| (a.day, &a.reference).cmp(&(b.day, &b.reference)));
    Ok(out)
}
