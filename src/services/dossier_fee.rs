//! The servicing dossier-opening fee (V-3.1, regulation art. 3.1): "préalablement à
//! l'intervention d'ORES, le demandeur [...] se voit porter en compte un montant d'ouverture de
//! dossier [...] qui reste définitivement acquis à ORES même en cas de non viabilisation".
//!
//! It is invoiced when the request is filed, in the filing's transaction, as its own invoice
//! payable to ORES within 15 days; the offer sent after ORES' study then names that invoice on
//! a 0 € fee line instead of charging it again. No invoice for a social project (V-3.2), a
//! dossier this applicant already opened for this land (V-3.1), or a servicing invoiced without
//! an offer (V-7: the fee stays on that invoice, art. 7) — the engine decides all three.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::domain::{OrganisationId, RequestId};
use crate::{
    db::{
        DbError, RequestAccess, Tx,
        dossier_invoices::{self, DossierInvoiceRow, NewDossierInvoice},
        requests::{self, NewEvent},
    },
    domain::{
        InputError,
        dues::{self, Paid, PaymentCheck, PaymentRefusal},
        money,
        servicing::DossierInvoiceRef,
        tenancy::SessionUser,
        timeline::Token,
    },
    i18n::Tr,
    operators::pricing,
    services::{RequestRow, assess, offers},
    state::AppState,
    tariff::Tariffs,
};

/// FACTS.md: "invoices payable in 15 days".
pub const PAYABLE_DAYS: i64 = 15;
/// The last two digits of the invoice's structured communication: the offer's payees are
/// numbered from 01, the dossier fee is 99.
const COMMUNICATION_INDEX: usize = 98;

/// A dossier-fee invoice, typed, with its payment.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierInvoice {
    pub number: String,
    pub payee: String,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub structured_communication: String,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub amount_excl_vat: Decimal,
    /// Percent (21, V-6).
    pub vat_rate: Decimal,
    pub vat_amount: Decimal,
    /// VAT included.
    pub amount: Decimal,
    pub book_version: String,
    /// The full payment recorded: amount and day.
    pub paid: Option<Paid>,
    /// V-2.3 (art. 3, 6.1): whom it is addressed to when the servicing's payer is not the
    /// applicant.
    pub payer: Option<String>,
}

impl DossierInvoice {
    pub fn is_paid(&self) -> bool {
        self.paid.is_some()
    }

    /// V-2.3: "Addressed to and payable by …" when the servicing's payer is not the applicant.
    pub fn addressed_to(&self, tr: Tr) -> Option<String> {
        self.payer
            .as_ref()
            .map(|payer| tr.f("dossier_fee.addressed_to", [("name", payer.as_str())]))
    }

    /// Unpaid after its due date.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        !self.is_paid() && today > self.due_on
    }

    /// `paid`, `overdue` or `due`.
    pub fn status(&self, today: NaiveDate) -> &'static str {
        if self.is_paid() {
            "paid"
        } else if self.overdue(today) {
            "overdue"
        } else {
            "due"
        }
    }
}

impl From<DossierInvoiceRow> for DossierInvoice {
    fn from(row: DossierInvoiceRow) -> Self {
        let paid = match (row.paid_amount, row.paid_on) {
            (Some(amount), Some(on)) => Some(Paid { amount, on }),
            _ => None,
        };
        DossierInvoice {
            issued_on: row.issued_on,
            due_on: row.due_on,
            amount_excl_vat: row.amount_excl_vat,
            vat_rate: row.vat_rate,
            vat_amount: row.vat_amount,
            amount: row.amount,
            number: row.number,
            payee: row.payee_name,
            iban: row.iban,
            bic: row.bic,
            structured_communication: row.structured_communication,
            book_version: row.book_version,
            paid,
            payer: row.payer_name,
        }
    }
}

/// The dossier-fee invoice of a request its reader may read, if one was issued.
pub async fn of_request(
    state: &AppState,
    request: &RequestAccess,
) -> Result<Option<DossierInvoice>, DbError> {
    Ok(dossier_invoices::of_request(&state.db, request)
        .await?
        .map(DossierInvoice::from))
}

/// The number and date of `request_id`'s invoice, for the offer's fee line (V-3.1).
pub async fn reference_of(
    conn: &mut sqlx::AnyConnection,
    request_id: RequestId,
) -> Result<Option<DossierInvoiceRef>, DbError> {
    Ok(dossier_invoices::of_request_id(conn, request_id)
        .await?
        .map(|row| DossierInvoiceRef {
            issued_on: row.issued_on,
            number: row.number,
        }))
}

/// Issues, inside the filing's transaction, the dossier-fee invoice of the request just
/// recorded, when the engine charges the fee at filing; `payee` is ORES, the operator serving
/// its electricity. A request the books cannot price yet gets no invoice: its offer then
/// charges the fee, as before (V-5: never priced at zero).
pub async fn issue_at_filing(
    tx: &mut Tx,
    tariffs: &Tariffs,
    request_id: RequestId,
    payee: OrganisationId,
    now: DateTime<Utc>,
) -> Result<Option<DossierInvoice>, DbError> {
    let request = requests::get_for_worker(tx, request_id).await?;
    let facts = assess::facts_with_dossiers(tx, &request)
        .await
        .map_err(|e| match e {
            assess::AssessError::Db(error) => error,
            other => DbError::Corrupt(other.to_string()),
        })?;
    let line = match pricing::dossier_fee(tariffs, &facts, &request.postcode) {
        Ok(Some(line)) => line,
        Ok(None) => return Ok(None),
        Err(error) => {
            tracing::warn!(request = %request.reference, %error, "dossier fee not priced at filing");
            return Ok(None);
        }
    };
    let amount = money::add(line.amount_excl_vat, line.vat_amount)
        .map_err(|_| DbError::Corrupt("dossier fee too large".into()))?;
    let details = dossier_invoices::payee_in(tx, payee).await?;
    let communication = offers::communication_for(&request.reference, COMMUNICATION_INDEX)
        .map_err(|e| DbError::Corrupt(e.to_string()))?;
    let issued_on = crate::clock::day_of(now);
    let number = invoice_number(&request.reference);
    let invoice = DossierInvoice {
        number,
        payee: details.name,
        iban: details.iban,
        bic: details.bic,
        structured_communication: communication,
        issued_on,
        due_on: issued_on + Duration::days(PAYABLE_DAYS),
        amount_excl_vat: line.amount_excl_vat,
        vat_rate: line.vat_rate,
        vat_amount: line.vat_amount,
        amount,
        book_version: line.book_version,
        paid: None,
        payer: facts
            .servicing
            .as_ref()
            .and_then(|servicing| servicing.payer.as_ref())
            .map(|payer| payer.name.as_ref().to_owned()),
    };
    dossier_invoices::insert(
        tx,
        &NewDossierInvoice {
            request_id,
            number: &invoice.number,
            organisation_id: payee,
            payee_name: &invoice.payee,
            iban: invoice.iban.as_deref(),
            bic: invoice.bic.as_deref(),
            structured_communication: &invoice.structured_communication,
            issued_on: invoice.issued_on,
            due_on: invoice.due_on,
            amount_excl_vat: invoice.amount_excl_vat,
            vat_rate: invoice.vat_rate,
            vat_amount: invoice.vat_amount,
            amount: invoice.amount,
            book_version: &invoice.book_version,
            payer_name: invoice.payer.as_deref(),
        },
        now,
    )
    .await?;
    let detail = format!("{} — {}", invoice.number, Token::Money(invoice.amount));
    requests::insert_event(
        tx,
        &NewEvent {
            request_id,
            at: now,
            kind: "dossier_fee_invoiced",
            actor_kind: "system",
            actor_id: None,
            actor_name: None,
            organisation_id: None,
            detail: Some(&detail),
            public: true,
        },
    )
    .await?;
    Ok(Some(invoice))
}

/// The invoice's number: one per request, named after it.
pub fn invoice_number(reference: &str) -> String {
    format!("DOS-{}", reference.trim_start_matches("CMH-"))
}

/// Why a payment of the dossier fee is not recorded.
#[derive(Debug, thiserror::Error)]
pub enum DossierFeeError {
    #[error("no dossier-fee invoice for this request")]
    NoInvoice,
    #[error("invalid input")]
    Invalid(InputError),
    /// The same payment rules as the offer's dues (`domain::dues`).
    #[error(transparent)]
    Payment(PaymentRefusal),
    /// V-3.1: the invoice is paid in full, in one payment of its amount.
    #[error("the dossier fee is paid in full: {expected}")]
    NotFullAmount { expected: Decimal },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl DossierFeeError {
    /// The rule a refusal rests on.
    pub fn rule(&self) -> &'static str {
        "V-3.1"
    }
}

/// The case officer records the payment of the dossier-fee invoice: its full amount, dated
/// neither in the future nor before the invoice (the rules of `domain::dues`).
pub async fn record_payment(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
    amount: &str,
    paid_on: &str,
    now: DateTime<Utc>,
) -> Result<(), DossierFeeError> {
    let amount: Decimal = amount
        .trim()
        .replace(',', ".")
        .replace(['€', ' ', '\u{202f}'], "")
        .parse()
        .map_err(|_| DossierFeeError::Invalid(InputError::Number))?;
    let paid_on = NaiveDate::parse_from_str(paid_on.trim(), "%Y-%m-%d")
        .map_err(|_| DossierFeeError::Invalid(InputError::Date))?;
    let invoice = of_request(state, &request.access)
        .await?
        .ok_or(DossierFeeError::NoInvoice)?;
    let payments: Vec<Paid> = invoice.paid.into_iter().collect();
    let standing = dues::standing(invoice.amount, &payments)
        .map_err(|_| DbError::Corrupt("dossier fee payments".into()))?;
    dues::check_payment(&PaymentCheck {
        amount,
        paid_on,
        today: crate::clock::day_of(now),
        offer_sent_on: invoice.issued_on,
        // An invoice is due as issued.
        awaiting_acceptance: false,
        standing,
    })
    .map_err(DossierFeeError::Payment)?;
    if amount != invoice.amount {
        return Err(DossierFeeError::NotFullAmount {
            expected: invoice.amount,
        });
    }
    let mut tx = state.db.begin_write().await?;
    if !dossier_invoices::record_payment(
        &mut tx,
        &request.access,
        amount,
        paid_on,
        user.user_id,
        now,
    )
    .await?
    {
        // Recorded meanwhile (the same form posted twice): the first click's outcome.
        return Ok(());
    }
    let detail = format!(
        "{} {} — {}",
        Token::DossierFee,
        invoice.number,
        Token::Money(amount)
    );
    offers::event(
        &mut tx,
        request,
        now,
        "payment_registered",
        offers::Who::Staff(user),
        Some(&detail),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
