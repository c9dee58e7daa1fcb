//! The applicant or the case officer accepts the offer, or asks for a change (V-8.3).
//!
//! Online, the private link alone cannot accept: the applicant ticks their consent and gets a
//! one-time code at the request's email address ([`send_acceptance_code`]), and the offer is
//! accepted only when that code is typed back ([`accept`]).

use chrono::Duration;
use rand::Rng;

use super::{
    payments::{self, nothing_due_before_works},
    *,
};
use crate::domain::offer::OfferStatus;
use crate::{
    db::acceptance_codes,
    domain::links::{AcceptanceCode, CODE_ATTEMPTS, CODE_LIFETIME, CODES_PER_DAY},
    services::auth,
};

/// How an acceptance is given: on the status page with the one-time code emailed to the
/// applicant after their explicit consent, or written and recorded by the case officer
/// (V-8.2.1).
pub enum AcceptedBy<'a> {
    Applicant {
        /// The code as typed.
        code: &'a str,
    },
    Officer {
        user: &'a SessionUser,
        note: &'a str,
    },
}

/// Whether `version` of the request's offer (`latest`) may be accepted on `today`: only the
/// current version, sent and still valid.
fn open_for_acceptance(
    latest: Option<OfferRow>,
    version: i64,
    today: NaiveDate,
) -> Result<OfferRow, OfferError> {
    let offer = latest.ok_or(OfferError::NoOffer)?;
    if offer.version != version {
        return Err(OfferError::NotOpen);
    }
    match offer.status {
        OfferStatus::Sent if offer.valid_until < today => Err(OfferError::Lapsed),
        OfferStatus::Sent => Ok(offer),
        OfferStatus::Lapsed => Err(OfferError::Lapsed),
        _ => Err(OfferError::NotOpen),
    }
}

/// The applicant, with explicit consent, asks to accept `version` online: a one-time code goes
/// to the request's email address (in its language, through the outbox), replacing any
/// earlier code. Nothing is accepted yet.
pub async fn send_acceptance_code(
    state: &AppState,
    request: &RequestRow,
    version: i64,
    consent: bool,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    if !consent {
        return Err(OfferError::ConsentRequired);
    }
    let today = crate::clock::day_of(now);
    let code = AcceptanceCode::from_number(rand::thread_rng().gen_range(0..1_000_000));
    // Hashed before the transaction: the slow hash never holds the writer's turn.
    let code_hash = auth::hash_secret(code.as_ref()).await;
    let mut tx = state.db.begin_write().await?;
    let offer = open_for_acceptance(
        offers::latest_in(&mut tx, request.id).await?,
        version,
        today,
    )?;
    let sent_today =
        acceptance_codes::sent_since(&mut tx, request.id, now - Duration::days(1)).await?;
    if sent_today >= CODES_PER_DAY {
        return Err(OfferError::TooManyCodes);
    }
    acceptance_codes::replace(
        &mut tx,
        request.id,
        offer.version,
        &code_hash,
        now,
        now + CODE_LIFETIME,
    )
    .await?;
    let tr = Tr(request.language);
    let version_text = offer.version.to_string();
    let minutes = CODE_LIFETIME.num_minutes().to_string();
    let mail = compose::notice(
        tr,
        &compose::Notice {
            subject: tr.f(
                "offer.code.mail.subject",
                [("reference", request.reference.as_str())],
            ),
            name: request.applicant_name.clone(),
            paragraphs: vec![
                tr.f(
                    "offer.code.mail.code",
                    [
                        ("version", version_text.as_str()),
                        ("code", code.as_ref()),
                        ("minutes", minutes.as_str()),
                    ],
                ),
                tr.t("offer.code.mail.not_you").to_owned(),
            ],
            link: None,
        },
    )?;
    crate::services::outbox::enqueue_mail(
        &mut tx,
        "acceptance_code",
        Some(request.id),
        &request.email,
        &mail,
        &[],
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(())
}

/// Checks the applicant's code for `version` and returns the id of the code to spend with the
/// acceptance. Every try counts, committed before the code is compared, so even concurrent
/// tries get [`CODE_ATTEMPTS`] in all. The offer's own rules come first: a lapsed or replaced
/// version says so, whatever the code.
async fn checked_code(
    state: &AppState,
    request: &RequestRow,
    version: i64,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<crate::domain::AcceptanceCodeId, OfferError> {
    let today = crate::clock::day_of(now);
    let mut tx = state.db.begin_write().await?;
    open_for_acceptance(
        offers::latest_in(&mut tx, request.id).await?,
        version,
        today,
    )?;
    let typed = AcceptanceCode::parse(typed).map_err(|_| OfferError::CodeFormat)?;
    let stored = acceptance_codes::latest_in(&mut tx, request.id)
        .await?
        .ok_or(OfferError::NoCode)?;
    if stored.spent_at.is_some() || stored.offer_version != version {
        return Err(OfferError::CodeSpent);
    }
    if stored.expires_at <= now {
        return Err(OfferError::CodeExpired);
    }
    if !acceptance_codes::take_attempt(&mut tx, stored.id, CODE_ATTEMPTS, now).await? {
        return Err(OfferError::CodeSpent);
    }
    tx.commit().await.map_err(DbError::from)?;
    if !auth::verify_secret(typed.as_ref(), &stored.code_hash).await {
        return Err(OfferError::WrongCode {
            tries_left: (CODE_ATTEMPTS - stored.attempts - 1).max(0),
        });
    }
    Ok(stored.id)
}

/// Accepts the current version. A lapsed or superseded version cannot be accepted; online, only
/// with the code last sent to the applicant for that version (used once).
pub async fn accept(
    state: &AppState,
    request: &RequestRow,
    version: i64,
    by: AcceptedBy<'_>,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let (note, code_id) = match &by {
        AcceptedBy::Applicant { code } => (
            None,
            Some(checked_code(state, request, version, code, now).await?),
        ),
        AcceptedBy::Officer { note, .. } => (
            Some(crate::domain::error::required_text(note, 2000).map_err(OfferError::Invalid)?),
            None,
        ),
    };
    let today = crate::clock::day_of(now);
    let mut tx = state.db.begin_write().await?;
    let offer = open_for_acceptance(
        offers::latest_in(&mut tx, request.id).await?,
        version,
        today,
    )?;
    // Spent with the acceptance: if anything below refuses, the code stays usable.
    if let Some(code_id) = code_id
        && !acceptance_codes::spend(&mut tx, code_id, now).await?
    {
        return Err(OfferError::CodeSpent);
    }
    let (by_kind, by_id, who) = match &by {
        AcceptedBy::Applicant { .. } => ("applicant", None, Who::Applicant),
        AcceptedBy::Officer { user, .. } => ("staff", Some(user.user_id), Who::Staff(user)),
    };
    let accepted = offers::accept(
        &mut tx,
        offer.id,
        &Acceptance {
            by_kind,
            by: by_id,
            note: note.as_deref(),
        },
        today,
        now,
    )
    .await?;
    if !accepted {
        return Err(OfferError::NotOpen);
    }
    let dues = payments::dues_in(&mut tx, offer.id).await?;
    let all_paid = nothing_due_before_works(&dues);
    let to = if all_paid {
        RequestState::ReadyForWorks
    } else {
        RequestState::Accepted
    };
    // The offer was open, so the request was quoted; the guard keeps a concurrent change.
    if !requests::move_state(&mut tx, request.id, RequestState::Quoted, to, now).await? {
        return Err(OfferError::NotOpen);
    }
    let detail = match &note {
        Some(note) => format!("v{} — {note}", offer.version),
        None => format!("v{}", offer.version),
    };
    event(&mut tx, request, now, "offer_accepted", who, Some(&detail)).await?;
    let tr = Tr(request.language);
    let mut paragraphs = vec![tr.f(
        "offer.mail.accepted",
        [("version", offer.version.to_string().as_str())],
    )];
    if all_paid {
        paragraphs.push(tr.t("offer.mail.nothing_to_pay").to_owned());
    } else {
        paragraphs.extend(
            dues.iter()
                .filter(|d| d.paid_by_applicant() && !d.standing.is_settled())
                .map(|d| match d.direction {
                    Direction::ApplicantToHolder => tr.f(
                        "offer.mail.pay_holder_line",
                        [
                            ("holder", d.party.as_str()),
                            ("amount", tr.money(d.standing.outstanding).as_str()),
                            ("rule", d.rule.as_str()),
                        ],
                    ),
                    _ => tr.f(
                        "offer.mail.pay_line",
                        [
                            ("payee", d.party.as_str()),
                            ("amount", tr.money(d.standing.outstanding).as_str()),
                            ("iban", d.iban.as_deref().unwrap_or("")),
                            (
                                "communication",
                                d.structured_communication.as_deref().unwrap_or(""),
                            ),
                        ],
                    ),
                }),
        );
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
    let offer = offers::latest_in(&mut tx, request.id)
        .await?
        .ok_or(OfferError::NoOffer)?;
    if !matches!(
        offer.status,
        OfferStatus::Sent | OfferStatus::Accepted | OfferStatus::Lapsed
    ) {
        return Err(OfferError::NotOpen);
    }
    requests::set_change_requested(&mut tx, request.id, Some(now)).await?;
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
