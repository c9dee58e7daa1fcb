//! The consolidated offer (rule C-3): one document carrying every operator's part, rendered as
//! the email bodies, a PDF, payment references with SEPA QR codes and, once the day is
//! confirmed, an iCalendar invitation. Pure: the service layer builds an [`OfferDocument`]
//! from stored assessments, with every label already translated; this module only renders.

pub mod epc;
pub mod ics;
pub mod pdf;
pub mod qr;
pub mod render;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::{Bic, Iban, Language, StructuredCommunication};

pub use epc::{EpcError, Remittance};
pub use ics::{JointDayInvite, invitation};
pub use pdf::pdf;
pub use render::{RenderedEmail, email};

/// Why an offer could not be rendered. Nothing half-rendered is returned: a payee whose
/// payment details are wrong stops the whole document rather than print a wrong QR code.
#[derive(Debug, Error)]
pub enum QuoteError {
    #[error("the payment details of {payee} are wrong: {source}")]
    Payment {
        payee: String,
        #[source]
        source: EpcError,
    },
    #[error("the QR code cannot hold this payload: {0}")]
    Qr(String),
    #[error("the offer template failed: {0}")]
    Template(#[from] askama::Error),
    #[error("the offer PDF failed: {0}")]
    Pdf(String),
}

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
    /// Translated: each part of this operator that is not made, with its reason and rule
    /// (B-4.4). Absent from offers sent before refusals kept their rule (they said it in notes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<String>,
    /// How to pay this operator; `None` when nothing is due to it (0 €).
    pub payment: Option<Payment>,
    /// An offer to accept, or an invoice sent without prior offer (V-2.3, V-7).
    #[serde(default)]
    pub document: DocumentKind,
    /// Connections, or the servicing of the land: its own document (V-8, V-4).
    #[serde(default)]
    pub scope: DocumentScope,
    /// VAT per rate on this document's sums (V-6, B-5.2); empty in versions stored before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vat: Vec<VatSummaryRow>,
    /// Shares the applicant pays earlier holders directly, never through the operator (B-10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holders: Vec<HolderShare>,
    /// What the operator owes the applicant, never deducted from what the applicant pays
    /// (the cabin lease fee, paid at the deed, V-9.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credits: Vec<Credit>,
    /// V-2.3: who this document is addressed to and paid by when it is not the applicant
    /// (the servicing's payer); `None` when the applicant pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
}

/// V-2.3 (art. 2.2): the holder of the obligation to pay a servicing document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payer {
    pub name: String,
    /// Postal address, one line.
    pub address: String,
    /// The enterprise (VAT) number of a VAT filer, `0403.170.701`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
}

crate::domain::stored_code! {
    /// Whether a document is an offer (accepted, then paid) or an invoice (due without offer).
    #[derive(Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DocumentKind {
        #[default]
        Offer = "offer",
        Invoice = "invoice",
    }
}

/// The document the servicing engine gives the land (V-8 offer, V-2.3/V-7 invoice).
impl From<crate::tariff::DocumentKind> for DocumentKind {
    fn from(kind: crate::tariff::DocumentKind) -> Self {
        match kind {
            crate::tariff::DocumentKind::Offer => DocumentKind::Offer,
            crate::tariff::DocumentKind::Invoice => DocumentKind::Invoice,
        }
    }
}

crate::domain::stored_code! {
    /// What a document covers.
    #[derive(Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DocumentScope {
        #[default]
        Connections = "connections",
        /// The servicing of land (V-8): its own document, validity and payment.
        Servicing = "servicing",
    }
}

/// A quote-part the applicant pays an earlier holder of the extension (B-10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HolderShare {
    pub holder: String,
    pub parcel: String,
    pub amount: Decimal,
    /// The formula with its figures, translated: `C / (k − j + 1) × (60 − t) / 60 = …`.
    pub formula: String,
    pub rule: String,
}

/// An amount the operator pays the applicant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credit {
    /// Who pays: the operator's name.
    pub payer: String,
    /// Translated label of the line it comes from.
    pub label: String,
    pub amount: Decimal,
    /// Translated: when it is paid ("at the signing of the notarial deed").
    pub when: String,
    pub rule: String,
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
    /// The regime's code (`standard`, `reverse_charge`…); empty in versions stored before.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vat_regime: String,
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

impl Payment {
    /// The checked account of the payee.
    pub fn parsed_iban(&self) -> Result<Iban, EpcError> {
        Iban::parse(&self.iban).map_err(EpcError::Iban)
    }

    /// The checked BIC, if one is given.
    pub fn parsed_bic(&self) -> Result<Option<Bic>, EpcError> {
        self.bic
            .as_deref()
            .filter(|bic| !bic.trim().is_empty())
            .map(|bic| Bic::parse(bic).map_err(EpcError::Bic))
            .transpose()
    }

    /// The checked structured communication.
    pub fn communication(&self) -> Result<StructuredCommunication, EpcError> {
        StructuredCommunication::parse(&self.structured_communication)
            .map_err(EpcError::Communication)
    }

    /// The IBAN as printed (groups of four), or as stored when it does not parse.
    pub fn iban_display(&self) -> String {
        self.parsed_iban()
            .map(|iban| iban.to_string())
            .unwrap_or_else(|_| self.iban.clone())
    }

    /// The EPC069-12 payload of the SEPA credit-transfer QR code of this payment.
    pub fn epc_payload(&self) -> Result<String, EpcError> {
        epc::credit_transfer(
            &self.payee,
            &self.parsed_iban()?,
            self.parsed_bic()?.as_ref(),
            self.amount,
            &Remittance::belgian(self.communication()?),
        )
    }

    /// The payload, with the payee named in the error, for documents that must not go out wrong.
    pub fn checked_payload(&self) -> Result<String, QuoteError> {
        self.epc_payload().map_err(|source| QuoteError::Payment {
            payee: self.payee.clone(),
            source,
        })
    }

    /// The QR code as inline SVG for pages; `None` when the payment details are wrong (the
    /// page then shows the IBAN and communication only).
    pub fn qr_svg(&self) -> Option<String> {
        let payload = self.epc_payload().ok()?;
        qr::svg(&payload, &self.payee).ok()
    }
}

impl OperatorSection {
    /// The section's services on one line: `Électricité, Gaz`.
    pub fn services_line(&self) -> String {
        self.services.join(", ")
    }

    /// "ORES — Électricité, Gaz"; just "VOO" when the service is named after its operator
    /// (never "VOO — VOO").
    pub fn heading(&self) -> String {
        let services = self.services_line();
        if services.is_empty() || services == self.operator {
            self.operator.clone()
        } else {
            format!("{} — {services}", self.operator)
        }
    }
}

impl OfferDocument {
    /// The tariff book versions the lines were priced with, each once, in order of appearance.
    pub fn book_versions(&self) -> Vec<&str> {
        let mut versions: Vec<&str> = Vec::new();
        for line in self.sections.iter().flat_map(|s| &s.lines) {
            if !versions.contains(&line.book_version.as_str()) {
                versions.push(&line.book_version);
            }
        }
        versions
    }

    /// Every share paid to an earlier holder, with the section it belongs to.
    pub fn holder_shares(&self) -> impl Iterator<Item = (&OperatorSection, &HolderShare)> {
        self.sections
            .iter()
            .flat_map(|section| section.holders.iter().map(move |h| (section, h)))
    }

    /// Every amount an operator owes the applicant, with the section it belongs to.
    pub fn credits(&self) -> impl Iterator<Item = (&OperatorSection, &Credit)> {
        self.sections
            .iter()
            .flat_map(|section| section.credits.iter().map(move |c| (section, c)))
    }

    /// Every refused part of the offer on one line each: `SWDE : Eau — Non réalisable — …`.
    pub fn refusal_lines(&self, tr: &crate::i18n::Tr) -> Vec<String> {
        self.sections
            .iter()
            .flat_map(|section| {
                section.refusals.iter().map(|refusal| {
                    tr.f(
                        "refusal.part",
                        [
                            ("operator", section.operator.as_str()),
                            ("refusal", refusal.as_str()),
                        ],
                    )
                })
            })
            .collect()
    }

    /// The sections with something to pay.
    pub fn payments(&self) -> impl Iterator<Item = (&OperatorSection, &Payment)> {
        self.sections
            .iter()
            .filter_map(|section| section.payment.as_ref().map(|p| (section, p)))
    }

    /// The offer number printed on every page: `CMH-2026-000042 v1`.
    pub fn number(&self) -> String {
        format!("{} v{}", self.reference, self.version)
    }
}
