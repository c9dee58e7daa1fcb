//! The joint day's works: the case officer confirms the reserved day once the works may go
//! ahead, and each operator records its works done; the last one makes the request done and
//! closes it when everything is paid. Built on the scheduler and the offers, which do not use
//! each other's steps here.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    offers::{self, OfferError, Who, event, notify_applicant},
    schedule::ScheduleError,
};
use crate::domain::AssessmentId;
use crate::{
    db::{
        self, DbError, assessments, crews,
        outbox::Attachment,
        requests::{self, NewEvent, RequestRow},
    },
    domain::{RequestState, tenancy::SessionUser},
    i18n::Tr,
    quote,
    state::AppState,
};

/// The case officer confirms the reserved day once the works may go ahead: offer accepted and
/// paid (V-8.2.1) and nothing else blocking. The applicant receives the invitation (.ics).
pub async fn confirm_day(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    now: DateTime<Utc>,
) -> Result<NaiveDate, OfferError> {
    let tr = Tr(request.language);
    let mut blockers = Vec::new();
    let day = db::crews::reserved_day(&state.db, &request.access).await?;
    // Confirmed already (a second click): the same outcome as the first.
    if let (RequestState::Scheduled, Some(day)) = (request.state, day) {
        return Ok(day);
    }
    if day.is_none() {
        blockers.push(tr.t("offer.blocker.no_day").to_owned());
    }
    if request.state != RequestState::ReadyForWorks {
        blockers.push(tr.f(
            "offer.blocker.state",
            [("state", tr.state(request.state.code()).as_str())],
        ));
    }
    // The commune's joint road-works permit (rule C-6): granted, conditions acknowledged.
    if let Some(key) = super::permits::confirmation_blocker(&state.db, &request.access).await? {
        blockers.push(tr.t(&key).to_owned());
    }
    if !blockers.is_empty() {
        return Err(OfferError::NotReady(blockers));
    }
    let day = day.unwrap_or_default();
    let arrival = quote::ics::ArrivalWindow::MORNING;
    let hours = [
        ("day", tr.date(day)),
        ("from", arrival.from.format("%H:%M").to_string()),
        ("to", arrival.to.format("%H:%M").to_string()),
    ];
    let hours = hours.each_ref().map(|(k, v)| (*k, v.as_str()));
    let invite = quote::ics::invitation(quote::ics::JointDayInvite {
        uid: format!("{}@connect-my-home.be", request.id),
        reference: request.reference.clone(),
        date: day,
        arrival,
        site: request.site_line(),
        summary: tr.f(
            "offer.ics.summary",
            [("reference", request.reference.as_str())],
        ),
        description: tr.f("offer.ics.description", hours),
        organizer_email: user.email.clone(),
        attendee_email: request.email.clone(),
        stamp: now,
        // A first invitation; a later change of day would send the same UID, sequence 1…
        sequence: 0,
    });
    let mut tx = state.db.begin_write().await?;
    if !requests::move_state(
        &mut tx,
        request.id,
        RequestState::ReadyForWorks,
        RequestState::Scheduled,
        now,
    )
    .await?
    {
        // A simultaneous click confirmed it a moment ago: the same outcome, nothing sent twice.
        if requests::state_in(&mut tx, request.id).await? == RequestState::Scheduled {
            return Ok(day);
        }
        return Err(OfferError::WrongState(request.state.code().to_owned()));
    }
    event(
        &mut tx,
        request,
        now,
        "day_confirmed",
        Who::Staff(user),
        Some(&day.to_string()),
    )
    .await?;
    notify_applicant(
        &mut tx,
        &state.base_url,
        request,
        "day_confirmed",
        vec![tr.f("offer.mail.day", hours)],
        &[Attachment {
            filename: format!("{}.ics", request.reference),
            content_type: "text/calendar; method=REQUEST; charset=utf-8".to_owned(),
            content: invite.into_bytes(),
        }],
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(day)
}

/// Operator staff record their works on the joint day as done (on or after the day). With
/// the last operator's, the request is done.
pub async fn works_done(
    state: &AppState,
    user: &SessionUser,
    assessment_id: AssessmentId,
    now: DateTime<Utc>,
) -> Result<(), ScheduleError> {
    let mut tx = state.db.begin_write().await?;
    let (row, _) = assessments::own_for_change(&mut tx, &user.scope(), assessment_id).await?;
    let Some(left) = crews::mark_done(&mut tx, row.request_id, &row.service, now).await? else {
        tx.rollback().await.map_err(DbError::from)?;
        return Err(ScheduleError::NotDueYet);
    };
    let request_id = row.request_id;
    requests::insert_event(
        &mut tx,
        &NewEvent {
            request_id,
            at: now,
            kind: "works_done",
            // An operator's system recording its works through its API key is named as the
            // key (issue 21).
            actor_kind: if user.api_key.is_some() {
                "api_key"
            } else {
                "staff"
            },
            actor_id: Some(user.user_id),
            actor_name: Some(&user.display_name),
            organisation_id: Some(user.organisation_id),
            detail: Some(&row.service),
            public: true,
        },
    )
    .await?;
    if left == 0 {
        let request = requests::get_for_worker(&mut tx, row.request_id).await?;
        let from = request.state;
        if !requests::move_state(&mut tx, row.request_id, from, RequestState::Done, now).await? {
            tx.rollback().await.map_err(DbError::from)?;
            return Err(ScheduleError::Db(DbError::Conflict(format!(
                "request {} changed meanwhile",
                request.reference
            ))));
        }
        requests::insert_event(
            &mut tx,
            &NewEvent {
                request_id,
                at: now,
                kind: "all_works_done",
                actor_kind: "system",
                actor_id: None,
                actor_name: None,
                organisation_id: None,
                detail: None,
                public: true,
            },
        )
        .await?;
        offers::close_if_settled(&mut tx, &state.base_url, row.request_id, now)
            .await
            .map_err(|e| match e {
                OfferError::Db(error) => ScheduleError::Db(error),
                other => ScheduleError::Db(DbError::Corrupt(format!("closing: {other}"))),
            })?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
