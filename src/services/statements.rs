//! Payments from bank statements (issue 21): the coordinator, and each operator for its own
//! account, uploads CODA statements; every credit whose structured communication names a due of a
//! request is registered as a payment of that due, with the statement line as its source,
//! under the same rules as a payment the case officer types (V-8.2.1 full payment, B-5.4
//! instalments, an overpayment shown as a refund due). Lines that cannot be matched are listed
//! with their reason for the case officer to assign by hand or set aside.
//!
//! A statement is named by its account, number and opening day and each line by its sequence:
//! uploading the same file again registers nothing twice.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::domain::tenancy::OrganisationKind;
use crate::domain::{DueId, RequestId, StatementId, StatementLineId};
use crate::{
    db::{
        DbError, Tx,
        bank_statements::{
            self, LineOutcome, LineRow, NewLine, NewStatement, StatementRow, Upserted,
        },
        offers,
        requests::{self, RequestRow},
    },
    domain::{
        Iban, InputError, Reference,
        coda::{self, CodaError, Movement, Statement},
        dues::{Direction, PaymentRefusal},
        tenancy::SessionUser,
        timeline::Token,
    },
    i18n::Tr,
    services::offers::{self as offer_service, Due, OfferError, Received},
    state::AppState,
};

/// Largest statement file read (a busy account's day is a few hundred lines of 128 bytes).
pub const FILE_MAX_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error(transparent)]
    Coda(#[from] CodaError),
    #[error("this statement was uploaded by another organisation")]
    OtherOrganisation,
    #[error("the file is larger than {max_mb} MB")]
    TooLarge { max_mb: u64 },
    #[error("no request has this reference")]
    UnknownReference,
    #[error("choose which payee of the request this payment is for")]
    ChoosePayee,
    #[error("this line is no longer to assign")]
    NotToAssign,
    #[error("invalid input")]
    Invalid(InputError),
    #[error(transparent)]
    Offer(OfferError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<OfferError> for StatementError {
    fn from(error: OfferError) -> Self {
        match error {
            OfferError::Db(db) => StatementError::Db(db),
            other => StatementError::Offer(other),
        }
    }
}

/// Whose dues a user's statements pay: the coordinator's reach every due of its requests'
/// offers; an operator's only the dues it is paid itself (another payee's communication is
/// unknown to it, so nothing of another organisation's request shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconciler {
    Coordinator,
    Operator(crate::domain::OrganisationId),
}

impl Reconciler {
    /// The user's role in reconciling statements, if any: the same for the organisation's
    /// staff and its keys (issue 21; a key uploads through the API only).
    pub fn of(user: &SessionUser) -> Option<Self> {
        if user.is_coordinator() {
            Some(Reconciler::Coordinator)
        } else if user.organisation_kind == OrganisationKind::Operator {
            Some(Reconciler::Operator(user.organisation_id))
        } else {
            None
        }
    }

    /// Whether `due` is one this user's statements may pay: money the applicant pays.
    fn reaches(self, due: &Due) -> bool {
        due.direction != Direction::OperatorToApplicant
            && match self {
                Reconciler::Coordinator => true,
                Reconciler::Operator(organisation) => due.organisation_id == Some(organisation),
            }
    }
}

/// Why a credit was not matched: the key of its explanation (`statements.reason.<key>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmatched {
    NoCommunication,
    /// Given as structured with wrong check digits: the payer mistyped it.
    MistypedCommunication,
    UnknownCommunication,
    /// Paid into an account that is not the payee's (another operator's communication).
    OtherAccount,
    NotAccepted,
    AlreadyPaid,
    BeforeOffer,
    Future,
}

impl Unmatched {
    pub fn key(self) -> &'static str {
        match self {
            Unmatched::NoCommunication => "no_communication",
            Unmatched::MistypedCommunication => "mistyped_communication",
            Unmatched::UnknownCommunication => "unknown_communication",
            Unmatched::OtherAccount => "other_account",
            Unmatched::NotAccepted => "not_accepted",
            Unmatched::AlreadyPaid => "already_paid",
            Unmatched::BeforeOffer => "before_offer",
            Unmatched::Future => "future",
        }
    }

    fn of_refusal(refusal: &PaymentRefusal) -> Self {
        match refusal {
            PaymentRefusal::NotAccepted => Unmatched::NotAccepted,
            PaymentRefusal::AlreadyPaid => Unmatched::AlreadyPaid,
            PaymentRefusal::BeforeOffer => Unmatched::BeforeOffer,
            PaymentRefusal::Future { .. } => Unmatched::Future,
            // A credit is a positive amount: a zero line is nobody's payment.
            PaymentRefusal::NotPositive => Unmatched::NoCommunication,
        }
    }
}

/// What an upload did, for the confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadSummary {
    pub statements: usize,
    /// Credits read for the first time.
    pub credits: usize,
    pub paid: usize,
    pub partial: usize,
    pub over: usize,
    pub to_assign: usize,
    /// Credits already read from an earlier upload of the same statement.
    pub already_read: usize,
    /// Debits: money going out, not payments to match.
    pub debits: usize,
}

fn same_account(due_iban: Option<&str>, statement_account: &str) -> bool {
    match due_iban {
        // A due without an account (a holder paid directly) is matched on its communication.
        None => true,
        Some(iban) => {
            let due: String = iban.split_whitespace().collect();
            due.eq_ignore_ascii_case(statement_account)
        }
    }
}

/// A statement as people read it: "relevé n° 1 du 02/01/2027 (BE68 5390 0754 7034)".
pub fn statement_label(tr: Tr, account: &str, number: i64, opened_on: NaiveDate) -> String {
    let account = Iban::parse(account)
        .map(|iban| iban.to_string())
        .unwrap_or_else(|_| account.to_owned());
    tr.f(
        "statements.timeline",
        [
            ("number", number.to_string().as_str()),
            ("date", tr.numeric_date(opened_on).as_str()),
            ("account", account.as_str()),
        ],
    )
}

/// A request's latest offer and the due of it a payment goes to, inside the change.
async fn due_of(
    tx: &mut Tx,
    request_id: RequestId,
    pick: impl Fn(&Due) -> bool,
) -> Result<Option<(RequestRow, offers::OfferRow, Due)>, StatementError> {
    let request = requests::get_for_worker(tx, request_id).await?;
    let Some(offer) = offers::latest_in(tx, request_id).await? else {
        return Ok(None);
    };
    let dues = offer_service::dues_in(tx, offer.id).await?;
    Ok(dues
        .into_iter()
        .find(|due| pick(due))
        .map(|due| (request, offer, due)))
}

/// The outcome key of a registered payment.
fn matched_outcome(standing: &crate::domain::dues::Standing) -> &'static str {
    if !standing.outstanding.is_zero() {
        "partial"
    } else if !standing.refund.is_zero() {
        "over"
    } else {
        "paid"
    }
}

/// Registers one new credit line of `statement`: matched to the due its communication names,
/// or left to assign with its reason.
#[allow(clippy::too_many_arguments)]
async fn match_line(
    tx: &mut Tx,
    state: &AppState,
    user: &SessionUser,
    reconciler: Reconciler,
    statement: &Statement,
    line_id: StatementLineId,
    movement: &Movement,
    now: DateTime<Utc>,
) -> Result<&'static str, StatementError> {
    let unmatched = |reason: Unmatched| (reason, None::<RequestId>, None::<DueId>);
    let (reason, request_id, due_id) = 'matching: {
        let Some(communication) = movement.structured_communication() else {
            break 'matching unmatched(match movement.communication {
                coda::Communication::Mistyped(_) => Unmatched::MistypedCommunication,
                _ => Unmatched::NoCommunication,
            });
        };
        let printed = communication.to_string();
        let Some(request_id) = bank_statements::request_of_communication(tx, &printed).await?
        else {
            break 'matching unmatched(Unmatched::UnknownCommunication);
        };
        let Some((request, offer, due)) = due_of(tx, request_id, |due| {
            reconciler.reaches(due)
                && due.structured_communication.as_deref() == Some(printed.as_str())
        })
        .await?
        else {
            break 'matching unmatched(Unmatched::UnknownCommunication);
        };
        if !same_account(due.iban.as_deref(), &statement.account) {
            break 'matching (Unmatched::OtherAccount, Some(request_id), Some(due.id));
        }
        let source = Token::Statement {
            number: i64::from(statement.number),
            opened_on: statement.opened_on,
            account: statement.account.clone(),
        };
        let key = format!("statement:{line_id}");
        let registered = offer_service::register_in(
            tx,
            &state.base_url,
            &request,
            &offer,
            &due,
            Received {
                amount: movement.amount,
                paid_on: movement.value_date,
                key: &key,
                by: user,
                statement_line: Some((line_id, &source)),
            },
            now,
        )
        .await;
        match registered {
            // A new line's key is new too: `None` (already recorded) cannot come from it.
            Ok(standing) => {
                let outcome = standing.as_ref().map_or("paid", matched_outcome);
                bank_statements::set_outcome(
                    tx,
                    line_id,
                    &LineOutcome {
                        outcome,
                        reason: None,
                        request_id: Some(request_id),
                        due_id: Some(due.id),
                        by: None,
                    },
                    now,
                )
                .await?;
                return Ok(outcome);
            }
            Err(OfferError::Payment(refusal)) => (
                Unmatched::of_refusal(&refusal),
                Some(request_id),
                Some(due.id),
            ),
            Err(other) => return Err(other.into()),
        }
    };
    bank_statements::set_outcome(
        tx,
        line_id,
        &LineOutcome {
            outcome: "to_assign",
            reason: Some(reason.key()),
            request_id,
            due_id,
            by: None,
        },
        now,
    )
    .await?;
    Ok("to_assign")
}

/// Reads a CODA file and registers its credits, all in one change: a file refused or an error
/// midway registers nothing. The same statement uploaded again reads only lines it did not have.
pub async fn upload(
    state: &AppState,
    user: &SessionUser,
    reconciler: Reconciler,
    filename: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<UploadSummary, StatementError> {
    let statements = coda::parse(bytes)?;
    let scope = user.scope();
    let mut summary = UploadSummary {
        statements: statements.len(),
        ..UploadSummary::default()
    };
    let mut tx = state.db.begin_write().await?;
    for statement in &statements {
        let statement_id = match bank_statements::upsert(
            &mut tx,
            &scope,
            &NewStatement {
                account: &statement.account,
                holder: &statement.holder,
                number: statement.number,
                opened_on: statement.opened_on,
                filename,
                uploaded_by: user.user_id,
                uploaded_by_key: user.api_key.as_ref().map(|key| key.name.as_str()),
            },
            now,
        )
        .await?
        {
            Upserted::New(id) | Upserted::Known(id) => id,
            Upserted::OtherOrganisation => return Err(StatementError::OtherOrganisation),
        };
        for movement in &statement.movements {
            if !movement.is_credit() {
                summary.debits += 1;
                continue;
            }
            let communication = match &movement.communication {
                coda::Communication::Structured(c) => c.to_string(),
                coda::Communication::Mistyped(digits) | coda::Communication::Free(digits) => {
                    digits.clone()
                }
            };
            let Some(line_id) = bank_statements::insert_line(
                &mut tx,
                &NewLine {
                    statement_id,
                    sequence: &movement.sequence,
                    bank_reference: &movement.bank_reference,
                    amount: movement.amount.to_string(),
                    value_date: movement.value_date,
                    communication: &communication,
                    structured_communication: movement
                        .structured_communication()
                        .map(|c| c.to_string()),
                    counterparty_name: &movement.counterparty_name,
                    counterparty_account: &movement.counterparty_account,
                },
            )
            .await?
            else {
                summary.already_read += 1;
                continue;
            };
            summary.credits += 1;
            match match_line(
                &mut tx, state, user, reconciler, statement, line_id, movement, now,
            )
            .await?
            {
                "partial" => summary.partial += 1,
                "over" => summary.over += 1,
                "to_assign" => summary.to_assign += 1,
                _ => summary.paid += 1,
            }
        }
    }
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(summary)
}

/// A credit line as the pages show it.
#[derive(Debug, Clone)]
pub struct LineView {
    pub id: StatementLineId,
    pub statement: String,
    pub amount: Decimal,
    pub value_date: NaiveDate,
    pub communication: String,
    pub counterparty: String,
    /// `paid`, `partial`, `over`, `assigned`, `ignored` or `to_assign`.
    pub outcome: String,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub request_id: Option<RequestId>,
}

fn line_view(tr: Tr, row: LineRow) -> LineView {
    LineView {
        statement: statement_label(tr, &row.account, row.number, row.opened_on),
        amount: row.amount,
        value_date: row.value_date,
        communication: row.structured_communication.unwrap_or(row.communication),
        counterparty: [row.counterparty_name, row.counterparty_account]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" — "),
        outcome: row.outcome,
        reason: row.reason,
        reference: row.reference,
        request_id: row.request_id,
        id: row.id,
    }
}

/// A statement as its page lists it.
pub struct StatementView {
    pub id: StatementId,
    pub label: String,
    pub holder: String,
    pub filename: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    pub lines: i64,
    pub matched: i64,
    pub to_assign: i64,
}

/// The statements page: the lines to assign and the latest statements.
pub struct Overview {
    pub to_assign: Vec<LineView>,
    pub statements: Vec<StatementView>,
}

pub async fn overview(state: &AppState, user: &SessionUser, tr: Tr) -> Result<Overview, DbError> {
    let scope = user.scope();
    let to_assign = bank_statements::to_assign(&state.db, &scope)
        .await?
        .into_iter()
        .map(|row| line_view(tr, row))
        .collect();
    let statements = bank_statements::statements(&state.db, &scope, 50)
        .await?
        .into_iter()
        .map(|row: StatementRow| StatementView {
            label: statement_label(tr, &row.account, row.number, row.opened_on),
            holder: row.holder,
            filename: row.filename,
            // A system's upload names its key (as the timeline does), not the key's creator.
            uploaded_by: match &row.uploaded_by_key {
                Some(key) => tr.f(
                    "request.by_api_key",
                    [
                        ("key", key.as_str()),
                        ("organisation", user.organisation_name.as_str()),
                    ],
                ),
                None => row.uploaded_by_name,
            },
            uploaded_at: row.uploaded_at,
            lines: row.lines,
            matched: row.matched,
            to_assign: row.to_assign,
            id: row.id,
        })
        .collect();
    Ok(Overview {
        to_assign,
        statements,
    })
}

/// The credit lines of one statement of the user's organisation (another's: `NotFound`).
pub async fn lines(
    state: &AppState,
    user: &SessionUser,
    tr: Tr,
    statement_id: StatementId,
) -> Result<Vec<LineView>, DbError> {
    let rows = bank_statements::lines_of(&state.db, &user.scope(), statement_id).await?;
    if rows.is_empty() {
        return Err(DbError::NotFound);
    }
    Ok(rows.into_iter().map(|row| line_view(tr, row)).collect())
}

/// A payee of a request the case officer may assign a line to.
pub struct PayeeChoice {
    pub due_id: DueId,
    pub party: String,
    pub outstanding: Decimal,
}

/// What the assignment did.
pub enum Assigned {
    /// Registered against the due: `paid`, `partial` or `over`.
    Registered(&'static str),
    /// The request has several payees: the officer chooses one.
    Choose(Vec<PayeeChoice>),
}

/// The case officer assigns a line to a request (by its reference) and, when the request has
/// several payees, to one of them: the payment is registered as if matched, with the same
/// rules and the statement as its source.
pub async fn assign(
    state: &AppState,
    user: &SessionUser,
    reconciler: Reconciler,
    line_id: StatementLineId,
    reference: &str,
    due_id: Option<DueId>,
    now: DateTime<Utc>,
) -> Result<Assigned, StatementError> {
    let mut tx = state.db.begin_write().await?;
    // Another organisation's line does not exist, whatever the form says.
    let line = bank_statements::line_in(&mut tx, &user.scope(), line_id).await?;
    if line.outcome != "to_assign" {
        return Err(StatementError::NotToAssign);
    }
    let reference: Reference = reference
        .trim()
        .to_uppercase()
        .parse()
        .map_err(|_| StatementError::UnknownReference)?;
    let request_id = bank_statements::request_of_reference(&mut tx, &reference.to_string())
        .await?
        .ok_or(StatementError::UnknownReference)?;
    let request = requests::get_for_worker(&mut tx, request_id).await?;
    let offer = offers::latest_in(&mut tx, request_id)
        .await?
        .ok_or(StatementError::Offer(OfferError::NoOffer))?;
    let dues = offer_service::dues_in(&mut tx, offer.id).await?;
    let payable: Vec<&Due> = dues.iter().filter(|d| reconciler.reaches(d)).collect();
    if payable.is_empty() {
        // A request that pays this organisation nothing: as if it did not exist.
        return Err(StatementError::UnknownReference);
    }
    let due = match due_id {
        Some(id) => payable
            .iter()
            .find(|d| d.id == id)
            .copied()
            .ok_or(StatementError::ChoosePayee)?,
        None => {
            let open: Vec<&Due> = payable
                .iter()
                .copied()
                .filter(|d| !d.standing.is_settled())
                .collect();
            match open.as_slice() {
                [only] => *only,
                _ => {
                    return Ok(Assigned::Choose(
                        payable
                            .iter()
                            .map(|d| PayeeChoice {
                                due_id: d.id,
                                party: d.party.clone(),
                                outstanding: d.standing.outstanding,
                            })
                            .collect(),
                    ));
                }
            }
        }
    };
    let source = Token::Statement {
        number: line.number,
        opened_on: line.opened_on,
        account: line.account.clone(),
    };
    let key = format!("statement:{}", line.id);
    let standing = offer_service::register_in(
        &mut tx,
        &state.base_url,
        &request,
        &offer,
        due,
        Received {
            amount: line.amount,
            paid_on: line.value_date,
            key: &key,
            by: user,
            statement_line: Some((line.id, &source)),
        },
        now,
    )
    .await?;
    let outcome = standing.as_ref().map_or("paid", matched_outcome);
    bank_statements::set_outcome(
        &mut tx,
        line.id,
        &LineOutcome {
            outcome: "assigned",
            reason: None,
            request_id: Some(request_id),
            due_id: Some(due.id),
            by: Some(user.user_id),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.outbox_notify.notify_one();
    Ok(Assigned::Registered(outcome))
}

/// The case officer sets a line aside: not a payment of any request (a refund, a transfer
/// between the operator's own accounts).
pub async fn set_aside(
    state: &AppState,
    user: &SessionUser,
    line_id: StatementLineId,
    now: DateTime<Utc>,
) -> Result<(), StatementError> {
    let mut tx = state.db.begin_write().await?;
    let line = bank_statements::line_in(&mut tx, &user.scope(), line_id).await?;
    if line.outcome != "to_assign" {
        return Err(StatementError::NotToAssign);
    }
    bank_statements::set_outcome(
        &mut tx,
        line.id,
        &LineOutcome {
            outcome: "ignored",
            reason: line.reason.as_deref(),
            request_id: None,
            due_id: None,
            by: Some(user.user_id),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
