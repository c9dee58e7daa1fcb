//! The applicant or the case officer accepts the offer, or asks for a change (V-8.3).

use super::{
    payments::{nothing_due_before_works, parse_amount},
    *,
};

/// How an acceptance is given: on the status page with explicit consent, or written and
/// recorded by the case officer (V-8.2.1).
pub enum AcceptedBy<'a> {
    Applicant {
        consent: bool,
    },
    Officer {
        user: &'a SessionUser,
        note: &'a str,
    },
}

/// Accepts the current version. A lapsed or superseded version cannot be accepted.
pub async fn accept(
    state: &AppState,
    request: &RequestRow,
    version: i64,
    by: AcceptedBy<'_>,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let note = match &by {
        AcceptedBy::Applicant { consent: false } => return Err(OfferError::ConsentRequired),
        AcceptedBy::Applicant { consent: true } => None,
        AcceptedBy::Officer { note, .. } => {
            Some(crate::domain::error::required_text(note, 2000).map_err(OfferError::Invalid)?)
        }
    };
    let today = crate::clock::day_of(now);
    let mut tx = state.db.begin_write().await?;
    let offer = offers::latest_in(&mut tx, &request.id)
        .await?
        .ok_or(OfferError::NoOffer)?;
    if offer.version != version {
        return Err(OfferError::NotOpen);
    }
    match offer.status.as_str() {
        "sent" if offer.valid_until.as_str() < today.to_string().as_str() => {
            return Err(OfferError::Lapsed);
        }
        "sent" => {}
        "lapsed" => return Err(OfferError::Lapsed),
        _ => return Err(OfferError::NotOpen),
    }
    let (by_kind, by_id, who) = match &by {
        AcceptedBy::Applicant { .. } => ("applicant", None, Who::Applicant),
        AcceptedBy::Officer { user, .. } => {
            ("staff", Some(user.user_id.to_string()), Who::Staff(user))
        }
    };
    let accepted = offers::accept(
        &mut tx,
        &offer.id,
        &Acceptance {
            by_kind,
            by: by_id.as_deref(),
            note: note.as_deref(),
        },
        today,
        now,
    )
    .await?;
    if !accepted {
        return Err(OfferError::NotOpen);
    }
    let payees = offers::payees_in(&mut tx, &offer.id).await?;
    let all_paid = nothing_due_before_works(&payees);
    let to = if all_paid {
        RequestState::ReadyForWorks
    } else {
        RequestState::Accepted
    };
    // The offer was open, so the request was quoted; the guard keeps a concurrent change.
    if !requests::move_state(&mut tx, &request.id, RequestState::Quoted, to, now).await? {
        return Err(OfferError::NotOpen);
    }
    let detail = match &note {
        Some(note) => format!("v{} — {note}", offer.version),
        None => format!("v{}", offer.version),
    };
    event(&mut tx, request, now, "offer_accepted", who, Some(&detail)).await?;
    let tr = Tr(request.language());
    let mut paragraphs = vec![tr.f(
        "offer.mail.accepted",
        [("version", offer.version.to_string().as_str())],
    )];
    if all_paid {
        paragraphs.push(tr.t("offer.mail.nothing_to_pay").to_owned());
    } else {
        paragraphs.extend(payees.iter().filter(|p| p.paid_at.is_none()).map(|p| {
            tr.f(
                "offer.mail.pay_line",
                [
                    ("payee", p.payee_name.as_str()),
                    ("amount", tr.money(parse_amount(&p.amount)).as_str()),
                    ("iban", p.iban.as_deref().unwrap_or("")),
                    ("communication", p.structured_communication.as_str()),
                ],
            )
        }));
    }
    notify_applicant(
        &mut tx,
        &state.base_url,
        request,
        "offer_accepted",
        paragraphs,
        &[],
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(())
}

/// The applicant asks for a change after the offer was sent (V-8.3): the officer sees it and
/// sends a revised offer at the tariffs in force.
pub async fn request_change(
    state: &AppState,
    request: &RequestRow,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let text = crate::domain::error::required_text(text, 2000).map_err(OfferError::Invalid)?;
    let mut tx = state.db.begin_write().await?;
    let offer = offers::latest_in(&mut tx, &request.id)
        .await?
        .ok_or(OfferError::NoOffer)?;
    if !matches!(offer.status.as_str(), "sent" | "accepted" | "lapsed") {
        return Err(OfferError::NotOpen);
    }
    requests::set_change_requested(&mut tx, &request.id, Some(now)).await?;
    event(
        &mut tx,
        request,
        now,
        "change_requested",
        Who::Applicant,
        Some(&text),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
