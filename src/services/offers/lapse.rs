//! The daily pass of the offers: a reminder before an offer lapses, then the lapse (V-8.1).

use super::*;

pub struct DailyRun {
    pub reminded: usize,
    pub lapsed: usize,
}

/// The daily job: reminds applicants a month before their offer lapses and lapses the offers
/// older than six months (V-8.1). Each step is done once, whichever instance runs it.
pub async fn run_daily(state: &AppState, now: DateTime<Utc>) -> Result<DailyRun, OfferError> {
    let today = crate::clock::day_of(now);
    let mut run = DailyRun {
        reminded: 0,
        lapsed: 0,
    };
    let reminder_horizon = today + chrono::Days::new(REMINDER_DAYS_BEFORE);
    for offer in offers::due_reminders(&state.db, reminder_horizon).await? {
        if offer.valid_until < today {
            continue;
        }
        let request = requests::get_for_worker_db(&state.db, offer.request_id).await?;
        let tr = Tr(request.language);
        let mut tx = state.db.begin_write().await?;
        if offers::mark_reminded(&mut tx, offer.id, now).await? {
            notify_applicant(
                &mut tx,
                &state.base_url,
                &request,
                "offer_reminder",
                vec![tr.f(
                    "offer.mail.reminder",
                    [
                        ("version", offer.version.to_string().as_str()),
                        ("date", tr.date(offer.valid_until).as_str()),
                    ],
                )],
                &[],
                now,
            )
            .await?;
            event(&mut tx, &request, now, "offer_reminder", Who::System, None).await?;
            run.reminded += 1;
        }
        tx.commit().await.map_err(DbError::from)?;
    }
    for offer in offers::due_lapses(&state.db, today).await? {
        let request = requests::get_for_worker_db(&state.db, offer.request_id).await?;
        let tr = Tr(request.language);
        let mut tx = state.db.begin_write().await?;
        if offers::lapse(&mut tx, offer.id, now).await? {
            requests::move_state(
                &mut tx,
                request.id,
                RequestState::Quoted,
                RequestState::Lapsed,
                now,
            )
            .await?;
            event(
                &mut tx,
                &request,
                now,
                "offer_lapsed",
                Who::System,
                Some(&format!("v{}", offer.version)),
            )
            .await?;
            notify_applicant(
                &mut tx,
                &state.base_url,
                &request,
                "offer_lapsed",
                vec![tr.f(
                    "offer.mail.lapsed",
                    [("version", offer.version.to_string().as_str())],
                )],
                &[],
                now,
            )
            .await?;
            run.lapsed += 1;
        }
        tx.commit().await.map_err(DbError::from)?;
    }
    if run.reminded + run.lapsed > 0 {
        state.outbox_notify.notify_one();
    }
    Ok(run)
}
