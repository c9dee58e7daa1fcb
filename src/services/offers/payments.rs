//! Payments per payee (V-8.2.1): recorded, paid after the works by a commune, and the
//! request closed once everything is settled.

use super::*;
use crate::domain::offer::OfferStatus;
use crate::domain::{DueId, OfferId, OrganisationId, RequestId, StatementLineId};
use crate::{
    db::offers::{DuePaymentRow, NewPayment},
    domain::{
        dues::{self, Paid, PaymentCheck, PaymentRefusal, Standing},
        timeline::Token,
    },
};

/// One due of an offer version, typed, with where it stands.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: DueId,
    pub offer_id: OfferId,
    pub direction: Direction,
    pub organisation_id: Option<OrganisationId>,
    /// Who receives it (the operator or the holder), or, from an operator, who pays.
    pub party: String,
    pub document: quote::DocumentKind,
    pub scope: quote::DocumentScope,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub amount: Decimal,
    pub structured_communication: Option<String>,
    pub when: DueWhen,
    pub rule: String,
    /// A share's formula, or a credit's label.
    pub detail: Option<String>,
    /// V-2.3: who pays it when not the applicant (the servicing's payer).
    pub payer: Option<String>,
    pub payments: Vec<Paid>,
    pub standing: Standing,
}

impl Due {
    /// The applicant pays it (an operator or an earlier holder).
    pub fn paid_by_applicant(&self) -> bool {
        self.direction != Direction::OperatorToApplicant
    }
}

/// The dues of `rows` with their payments.
pub fn dues_of(rows: Vec<DueRow>, payments: &[DuePaymentRow]) -> Result<Vec<Due>, DbError> {
    rows.into_iter()
        .map(|row| {
            let paid: Vec<Paid> = payments
                .iter()
                .filter(|p| p.due_id == row.id)
                .map(|p| Paid {
                    amount: p.amount,
                    on: p.paid_on,
                })
                .collect();
            let standing = dues::standing(row.amount, &paid).map_err(|_| {
                DbError::Corrupt(format!("the payments of due {} overflow", row.id))
            })?;
            Ok(Due {
                direction: row.direction,
                when: row.due,
                document: row.document,
                scope: row.scope,
                id: row.id,
                offer_id: row.offer_id,
                organisation_id: row.organisation_id,
                party: row.party_name,
                iban: row.iban,
                bic: row.bic,
                amount: row.amount,
                structured_communication: row.structured_communication,
                rule: row.rule,
                detail: row.detail,
                payer: row.payer_name,
                payments: paid,
                standing,
            })
        })
        .collect()
}

/// The dues of one version, inside a change.
pub(crate) async fn dues_in(tx: &mut Tx, offer_id: OfferId) -> Result<Vec<Due>, DbError> {
    let rows = offers::dues_in(tx, offer_id).await?;
    let payments = offers::payments_in(tx, offer_id).await?;
    dues_of(rows, &payments)
}

/// Everything the applicant owes before the works is paid in full (V-8.2.1, B-5.4, B-10).
pub(super) fn nothing_due_before_works(dues: &[Due]) -> bool {
    dues.iter()
        .filter(|d| d.paid_by_applicant() && d.when == DueWhen::BeforeWorks)
        .all(|d| d.standing.is_settled())
}

/// Which due a payment form names: the due itself, or — from forms and clients that name the
/// operator — that operator's only due from the applicant.
pub enum PayeeChoice {
    Due(DueId),
    Organisation(OrganisationId),
}

impl PayeeChoice {
    /// The payee a form or a client's body names: `payee`, a due's id, else `organisation`.
    /// Text that is no id names nothing: the payment is refused as to an unknown payee.
    pub fn named(payee: &str, organisation: &str) -> Result<Self, OfferError> {
        if let Ok(due) = payee.trim().parse() {
            return Ok(Self::Due(due));
        }
        organisation
            .trim()
            .parse()
            .map(Self::Organisation)
            .map_err(|_| OfferError::UnknownPayee)
    }
}

/// A payment as the case officer records it.
pub struct PaymentInput<'a> {
    pub payee: PayeeChoice,
    pub amount: &'a str,
    pub paid_on: &'a str,
    /// The form's key: the same form posted twice records one payment.
    pub key: Option<&'a str>,
}

/// The case officer records a payment against one due: partial payments and instalments
/// (B-5.4) add up; the due is paid when they reach its amount; more is shown as a refund due.
/// When everything the applicant owes before the works is paid, the request is ready for
/// works (V-8.2.1, B-5.4). Answers the due the payment was recorded against.
pub async fn record_payment(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    input: PaymentInput<'_>,
    now: DateTime<Utc>,
) -> Result<DueId, OfferError> {
    let amount: Decimal = input
        .amount
        .trim()
        .replace(',', ".")
        .replace(['€', ' ', '\u{202f}'], "")
        .parse()
        .map_err(|_| OfferError::Invalid(InputError::Number))?;
    // Money is paid in cents: a fraction of a cent was mistyped.
    let mut amount = amount.normalize();
    if amount.scale() > 2 {
        return Err(OfferError::Invalid(InputError::Number));
    }
    amount.rescale(2);
    let paid_on =
        dues::parse_paid_on(input.paid_on).ok_or(OfferError::Invalid(InputError::Date))?;
    // Organisations sharing a payee (ORES' electricity and gas) share its document; read
    // before the write, which holds its own connection.
    let payee_name = match &input.payee {
        PayeeChoice::Organisation(organisation) => offers::payee_of(&state.db, *organisation)
            .await
            .ok()
            .map(|p| p.name),
        PayeeChoice::Due(_) => None,
    };
    let mut tx = state.db.begin_write().await?;
    let offer = offers::latest_in(&mut tx, request.id)
        .await?
        .ok_or(OfferError::NoOffer)?;
    let dues = dues_in(&mut tx, offer.id).await?;
    let due = match &input.payee {
        PayeeChoice::Due(id) => dues.iter().find(|d| d.id == *id),
        PayeeChoice::Organisation(organisation) => {
            let mut of = dues.iter().filter(|d| {
                d.direction == Direction::ApplicantToOperator
                    && (d.organisation_id == Some(*organisation)
                        || payee_name.as_deref() == Some(d.party.as_str()))
            });
            match (of.next(), of.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    }
    .ok_or(OfferError::UnknownPayee)?;
    let key = match input.key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(key) => format!("{}:{key}", due.id),
        // A client without a form key: the same payment posted twice is one payment.
        None => format!("{}:{amount}:{paid_on}", due.id),
    };
    let due = due.clone();
    let outcome = register_in(
        &mut tx,
        &state.base_url,
        request,
        &offer,
        &due,
        Received {
            amount,
            paid_on,
            key: &key,
            by: user,
            statement_line: None,
        },
        now,
    )
    .await;
    match outcome {
        Ok(_) => {}
        // The same form posted again after it completed the due: the first click's outcome.
        Err(OfferError::Payment(PaymentRefusal::AlreadyPaid))
            if offers::payment_key_used(&mut tx, &key).await? =>
        {
            return Ok(due.id);
        }
        Err(error) => return Err(error),
    }
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(due.id)
}

/// One payment of a due, as recorded: by whom, from the form or from a bank statement's line.
pub(crate) struct Received<'a> {
    pub amount: Decimal,
    pub paid_on: NaiveDate,
    /// The form's key, or the statement line's: the same payment given twice is one.
    pub key: &'a str,
    pub by: &'a SessionUser,
    /// The bank statement line it comes from, with the statement for the timeline.
    pub statement_line: Option<(StatementLineId, &'a Token)>,
}

/// Where a due stands once a payment was recorded against it; `None` when the payment's key
/// was already used (the same payment given again: nothing recorded).
pub(crate) type Registered = Option<Standing>;

/// Records `payment` against `due` of `offer` inside `tx`, with the rules of
/// [`dues::check_payment`]: the timeline event, the request ready for works once everything
/// the applicant owes before the works is paid (V-8.2.1, B-5.4) and the request closed when a
/// commune's last payment after the works arrives. The caller commits.
pub(crate) async fn register_in(
    tx: &mut Tx,
    base_url: &str,
    request: &RequestRow,
    offer: &OfferRow,
    due: &Due,
    payment: Received<'_>,
    now: DateTime<Utc>,
) -> Result<Registered, OfferError> {
    let Received {
        amount,
        paid_on,
        key,
        by: user,
        statement_line,
    } = payment;
    let open = matches!(offer.status, OfferStatus::Accepted | OfferStatus::Sent);
    dues::check_payment(&PaymentCheck {
        amount,
        paid_on,
        today: crate::clock::day_of(now),
        offer_sent_on: crate::clock::day_of(offer.sent_at),
        // An invoice is due as sent (V-2.3, V-7); an offer once accepted.
        awaiting_acceptance: !(offer.status == OfferStatus::Accepted
            || (open && due.document == quote::DocumentKind::Invoice)),
        standing: due.standing,
    })
    .map_err(OfferError::Payment)?;
    let recorded = offers::insert_payment(
        tx,
        &NewPayment {
            due_id: due.id,
            amount,
            paid_on,
            by: user.user_id,
            idempotency_key: key,
            statement_line_id: statement_line.map(|(id, _)| id),
        },
        now,
    )
    .await?;
    if !recorded {
        return Ok(None);
    }
    let tr = Tr(request.language);
    let standing = dues::standing(
        due.amount,
        &due.payments
            .iter()
            .copied()
            .chain([Paid {
                amount,
                on: paid_on,
            }])
            .collect::<Vec<_>>(),
    )
    .map_err(too_large)?;
    // Amounts are stored as tokens each reader's page writes in its own language.
    let mut detail = format!("{} — {}", due.party, Token::Money(amount));
    if !standing.outstanding.is_zero() {
        detail.push_str(&format!(" — {}", Token::Outstanding(standing.outstanding)));
    }
    if !standing.refund.is_zero() {
        detail.push_str(&format!(" — {}", Token::Refund(standing.refund)));
    }
    if let Some((_, statement)) = statement_line {
        detail.push_str(&format!(" — {statement}"));
    }
    let kind = if due.direction == Direction::OperatorToApplicant {
        "credit_paid"
    } else {
        "payment_registered"
    };
    event(tx, request, now, kind, Who::Staff(user), Some(&detail)).await?;
    let dues = dues_in(tx, offer.id).await?;
    if offer.status == OfferStatus::Accepted
        && nothing_due_before_works(&dues)
        && requests::move_state(
            tx,
            request.id,
            RequestState::Accepted,
            RequestState::ReadyForWorks,
            now,
        )
        .await?
    {
        event(tx, request, now, "ready_for_works", Who::System, None).await?;
        notify_applicant(
            tx,
            base_url,
            request,
            "ready_for_works",
            vec![tr.t("offer.mail.paid").to_owned()],
            &[],
            now,
        )
        .await?;
    }
    // A commune paying after the works (V-8.2.1) closes its request with its last payment.
    close_if_settled(tx, base_url, request.id, now).await?;
    Ok(Some(standing))
}

/// The payment last recorded against `due_id` of the request — the one the case officer just
/// typed, whatever day it is dated — for the confirmation that says what was recorded.
pub async fn last_recorded_payment(
    state: &AppState,
    request: &RequestRow,
    due_id: DueId,
) -> Result<Option<Paid>, DbError> {
    let rows = offers::payments_of_request(&state.db, &request.access).await?;
    let mut last: Option<(DateTime<Utc>, Paid)> = None;
    for row in rows.iter().filter(|p| p.due_id == due_id) {
        let paid = Paid {
            amount: row.amount,
            on: row.paid_on,
        };
        // Rows come oldest day first; among equal instants the later row wins.
        if last
            .as_ref()
            .is_none_or(|(seen, _)| row.recorded_at >= *seen)
        {
            last = Some((row.recorded_at, paid));
        }
    }
    Ok(last.map(|(_, paid)| paid))
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
    if !requests::set_pays_after_works(&mut tx, &user.scope(), request.id, after_works, now).await?
    {
        return Err(OfferError::WrongState(request.state.code().to_owned()));
    }
    let tr = Tr(request.language);
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
    request_id: RequestId,
    now: DateTime<Utc>,
) -> Result<bool, OfferError> {
    let Some(offer) = offers::latest_in(tx, request_id).await? else {
        return Ok(false);
    };
    let dues = dues_in(tx, offer.id).await?;
    // Everything the applicant owes, paid after the works included; what an operator owes
    // the applicant at the deed (V-9.2) is followed on its own and does not hold the closing.
    if !dues
        .iter()
        .filter(|d| d.paid_by_applicant())
        .all(|d| d.standing.is_settled())
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
            request_id,
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
    let tr = Tr(request.language);
    let lines = closing_lines(tx, &request, tr).await?;
    notify_applicant(tx, base_url, &request, "closed", lines, &[], now).await?;
    Ok(true)
}

/// The closing mail: the request is done and paid, and what comes next for the household —
/// the EAN code of each new electricity or gas supply point and the choice of an energy
/// supplier, the water supply with the water operator.
async fn closing_lines(
    tx: &mut Tx,
    request: &crate::db::requests::RequestRow,
    tr: Tr,
) -> Result<Vec<String>, DbError> {
    let made: Vec<String> = crate::db::permits::latest_answers(tx, request.id)
        .await?
        .into_iter()
        .filter(|(_, _, answer)| {
            answer.as_ref().is_some_and(|a| {
                !matches!(
                    a.feasibility,
                    crate::operators::Feasibility::Refused
                        | crate::operators::Feasibility::NotAvailable
                )
            })
        })
        .map(|(service, _, _)| service)
        .collect();
    let mut lines = vec![tr.f(
        "offer.mail.closed",
        [("reference", request.reference.as_str())],
    )];
    let energy: Vec<&str> = ["electricity", "gas"]
        .into_iter()
        .filter(|s| made.iter().any(|m| m == s))
        .collect();
    if !energy.is_empty() {
        lines.push(tr.t("offer.mail.closed_next").to_owned());
        for service in energy {
            lines.push(tr.t(&format!("offer.mail.closed_ean_{service}")).to_owned());
        }
        lines.push(tr.t("offer.mail.closed_supplier").to_owned());
    }
    if made.iter().any(|m| m == "water") {
        lines.push(tr.t("offer.mail.closed_water").to_owned());
    }
    Ok(lines)
}
