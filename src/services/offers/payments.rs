//! Payments per payee (V-8.2.1): recorded, paid after the works by a commune, and the
//! request closed once everything is settled.

use super::*;

pub(super) fn parse_amount(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

/// Every payee that must be paid before the works has been (or nothing is due).
pub(super) fn nothing_due_before_works(payees: &[PayeeRow]) -> bool {
    payees
        .iter()
        .all(|p| p.after_works == 1 || p.paid_at.is_some() || parse_amount(&p.amount).is_zero())
}

/// The case officer registers one operator's payment. When every payee due before the works
/// is paid the request is ready for works (V-8.2.1, B-5.4).
pub async fn record_payment(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    organisation_id: &str,
    amount: &str,
    paid_on: &str,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let amount: Decimal = amount
        .trim()
        .replace(',', ".")
        .replace(['€', ' ', '\u{202f}'], "")
        .parse()
        .map_err(|_| OfferError::Invalid(InputError::Number))?;
    if amount <= Decimal::ZERO {
        return Err(OfferError::Invalid(InputError::Number));
    }
    let paid_on = NaiveDate::parse_from_str(paid_on.trim(), "%Y-%m-%d")
        .map_err(|_| OfferError::Invalid(InputError::Date))?;
    if paid_on > crate::clock::day_of(now) {
        return Err(OfferError::Invalid(InputError::Date));
    }
    let mut tx = state.db.begin_write().await?;
    let offer = offers::latest_in(&mut tx, &request.id)
        .await?
        .ok_or(OfferError::NoOffer)?;
    if offer.status != "accepted" {
        return Err(OfferError::NotAccepted);
    }
    let payees = offers::payees_in(&mut tx, &offer.id).await?;
    let payee = payees
        .iter()
        .find(|p| p.organisation_id == organisation_id)
        .ok_or(OfferError::UnknownPayee)?;
    if !offers::record_payment(
        &mut tx,
        &offer.id,
        organisation_id,
        &amount.to_string(),
        paid_on,
        user.user_id,
    )
    .await?
    {
        return Err(OfferError::AlreadyPaid);
    }
    let tr = Tr(request.language());
    let detail = format!("{} — {}", payee.payee_name, tr.money(amount));
    event(
        &mut tx,
        request,
        now,
        "payment_registered",
        Who::Staff(user),
        Some(&detail),
    )
    .await?;
    let payees = offers::payees_in(&mut tx, &offer.id).await?;
    if nothing_due_before_works(&payees)
        && requests::move_state(
            &mut tx,
            &request.id,
            RequestState::Accepted,
            RequestState::ReadyForWorks,
            now,
        )
        .await?
    {
        event(&mut tx, request, now, "ready_for_works", Who::System, None).await?;
        notify_applicant(
            &mut tx,
            &state.base_url,
            request,
            "ready_for_works",
            vec![tr.t("offer.mail.paid").to_owned()],
            &[],
            now,
        )
        .await?;
    }
    // A commune paying after the works (V-8.2.1) closes its request with its last payment.
    close_if_settled(&mut tx, &state.base_url, &request.id, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(())
}

/// Records whether the applicant pays after the works (a commune as project owner, V-8.2.1).
/// Refused once an offer is accepted: the payment terms are part of what was accepted.
pub async fn set_pays_after_works(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    after_works: bool,
    now: DateTime<Utc>,
) -> Result<(), OfferError> {
    let mut tx = state.db.begin_write().await?;
    if !requests::set_pays_after_works(&mut tx, &user.scope(), &request.id, after_works, now)
        .await?
    {
        return Err(OfferError::WrongState(request.state.code().to_owned()));
    }
    let tr = Tr(request.language());
    let detail = tr
        .t(if after_works {
            "offer.payer.after_works"
        } else {
            "offer.payer.before_works"
        })
        .to_owned();
    event(
        &mut tx,
        request,
        now,
        "payer_changed",
        Who::Staff(user),
        Some(&detail),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Closes a request whose works are all done once every operator is paid (those paid after
/// the works included). Returns whether it closed.
pub async fn close_if_settled(
    tx: &mut Tx,
    base_url: &str,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, OfferError> {
    let Some(offer) = offers::latest_in(tx, request_id).await? else {
        return Ok(false);
    };
    let payees = offers::payees_in(tx, &offer.id).await?;
    if !payees
        .iter()
        .all(|p| p.paid_at.is_some() || parse_amount(&p.amount).is_zero())
    {
        return Ok(false);
    }
    if !requests::move_state(
        tx,
        request_id,
        RequestState::Done,
        RequestState::Closed,
        now,
    )
    .await?
    {
        return Ok(false);
    }
    requests::insert_event(
        tx,
        &NewEvent {
            request_id: db::parse_uuid(request_id)?,
            at: now,
            kind: "closed",
            actor_kind: "system",
            actor_id: None,
            actor_name: None,
            organisation_id: None,
            detail: None,
            public: true,
        },
    )
    .await?;
    let request = requests::get_for_worker(tx, request_id).await?;
    let tr = Tr(request.language());
    notify_applicant(
        tx,
        base_url,
        &request,
        "closed",
        vec![tr.f(
            "offer.mail.closed",
            [("reference", request.reference.as_str())],
        )],
        &[],
        now,
    )
    .await?;
    Ok(true)
}

/// Used by pages: the id of the organisation a payee form names, checked as a uuid.
pub fn payee_id(raw: &str) -> Option<String> {
    Uuid::parse_str(raw.trim()).ok().map(|u| u.to_string())
}
