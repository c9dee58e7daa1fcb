//! The consolidated offer (rule C-3): one document carrying every operator's part, rendered as
//! the email bodies, a PDF, payment references with SEPA QR codes and, once the day is
//! confirmed, an iCalendar invitation. Pure: the service layer builds an [`OfferDocument`]
//! from stored assessments, with every label already translated; this module only renders.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::Language;

/// Everything printed on one numbered, immutable offer version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferDocument {
    pub language: Language,
    /// The request's reference, e.g. `CMH-2026-000042`.
    pub reference: String,
    /// 1 for the first offer, then 2, 3… for revised or re-issued ones.
    pub version: u32,
    /// The version this one replaces, with why (V-8.3 change, re-issue after lapse).
    pub supersedes: Option<Supersedes>,
    pub issued_on: NaiveDate,
    /// Six months after sending (V-8.1).
    pub valid_until: NaiveDate,
    pub applicant: Addressee,
    /// The connected site's address, one line.
    pub site: String,
    /// The single point of contact (C-2): organisation and officer.
    pub contact: Contact,
    /// One section per operator (each is its own payee).
    pub sections: Vec<OperatorSection>,
    /// VAT per rate and regime over the whole offer.
    pub vat: Vec<VatSummaryRow>,
    /// The mandatory VAT mentions the regimes used require, translated.
    pub vat_mentions: Vec<String>,
    pub total_excl_vat: Decimal,
    pub total_vat: Decimal,
    pub total_incl_vat: Decimal,
    /// Conditions common to the offer (payment before works, validity…), translated.
    pub conditions: Vec<String>,
    /// Proposed joint days (C-4), earliest first; empty when none can be proposed yet.
    pub proposed_days: Vec<NaiveDate>,
    /// The applicant's private status page, where the offer is accepted.
    pub status_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supersedes {
    pub version: u32,
    /// Translated reason, e.g. "Revised at your request: two lots added (V-8.3)".
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Addressee {
    pub name: String,
    pub email: String,
    /// Postal address lines.
    pub address: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub organisation: String,
    pub officer: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorSection {
    /// Organisation name, e.g. "ORES".
    pub operator: String,
    /// Translated service names this section covers, e.g. ["Électricité", "Gaz"].
    pub services: Vec<String>,
    pub lines: Vec<OfferLine>,
    pub subtotal_excl_vat: Decimal,
    pub subtotal_vat: Decimal,
    pub subtotal_incl_vat: Decimal,
    /// Translated: what this operator needs and by when (prerequisites with their deadlines).
    pub prerequisites: Vec<String>,
    /// Translated lead time, e.g. "30 jours calendrier après réception des conditions".
    pub lead_time: String,
    /// Translated notes: what is free, what is quoted separately, a written note from staff.
    pub notes: Vec<String>,
    /// How to pay this operator; `None` when nothing is due to it (0 €).
    pub payment: Option<Payment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferLine {
    /// Translated label with its arguments filled in.
    pub label: String,
    pub quantity: Decimal,
    /// Translated unit, e.g. "m", "pièce", "forfait".
    pub unit: String,
    pub unit_price: Decimal,
    pub amount_excl_vat: Decimal,
    /// e.g. "21 %" or the translated regime ("autoliquidation").
    pub vat_label: String,
    pub vat_amount: Decimal,
    /// The rule the line comes from, e.g. "V-4.1", "B-5.2".
    pub rule: String,
    /// The tariff book version it was priced with, e.g. "ores-2026.1".
    pub book_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VatSummaryRow {
    /// Translated regime and rate, e.g. "TVA 21 %" or "Autoliquidation".
    pub label: String,
    pub base: Decimal,
    pub vat: Decimal,
}

/// Payment instructions for one payee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub payee: String,
    pub iban: String,
    pub bic: Option<String>,
    pub amount: Decimal,
    /// `+++ddd/dddd/ddddd+++`.
    pub structured_communication: String,
    /// When the payer pays after the works (a commune as project owner, V-8.2.1).
    pub after_works: bool,
}

pub mod ics;
pub mod pdf;
pub mod render;
