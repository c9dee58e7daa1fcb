//! The one consolidated offer email (C-3), in the applicant's language: plain text and HTML.
//!
//! The payment QR codes in the HTML body are PNG images in `data:` URIs rather than inline SVG:
//! most email clients drop `<svg>` elements, while `data:` images show in Apple Mail, Thunderbird,
//! Outlook on the phone and many webmails. Where a client blocks them too (Gmail's web client
//! does), the alt text still gives the payee, amount and communication, the IBAN and
//! communication are printed next to the image, and the attached PDF carries the code as vector
//! drawing. `qr::png` is there for a mailer that would rather attach the image (`cid:`).

use askama::Template;

use super::{OfferDocument, OperatorSection, Payment, QuoteError, qr};
use crate::i18n::Tr;

/// Subject and bodies of the offer email; the PDF goes as an attachment next to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One payee as the email shows it.
struct PayeeView<'a> {
    section: &'a OperatorSection,
    payment: &'a Payment,
    iban: String,
    communication: String,
    /// `data:image/png;base64,…`
    qr: String,
    qr_alt: String,
}

#[derive(Template)]
#[template(path = "offer/email.txt")]
struct EmailText<'a> {
    doc: &'a OfferDocument,
    tr: Tr,
    payees: &'a [PayeeView<'a>],
}

#[derive(Template)]
#[template(path = "offer/email.html")]
struct EmailHtml<'a> {
    doc: &'a OfferDocument,
    tr: Tr,
    payees: &'a [PayeeView<'a>],
}

/// The offer's sections alone, as the pages include them (`offer/sections.html`).
#[derive(Template)]
#[template(path = "offer/sections_page.html")]
struct Sections<'a> {
    doc: &'a OfferDocument,
    tr: Tr,
}

/// The HTML of the offer sections, for a page that does not include the partial itself.
pub fn sections_html(doc: &OfferDocument, tr: Tr) -> Result<String, QuoteError> {
    Ok(Sections { doc, tr }.render()?)
}

/// The subject line: `Votre offre de raccordements CMH-2026-000042 (version 1)`.
pub fn subject(doc: &OfferDocument, tr: Tr) -> String {
    let version = doc.version.to_string();
    tr.f(
        "mail.offer.subject",
        [
            ("reference", doc.reference.as_str()),
            ("version", version.as_str()),
        ],
    )
}

/// Renders the offer email. Fails, rather than send a wrong payment instruction, when a
/// payee's IBAN, BIC, amount or structured communication is not valid.
pub fn email(doc: &OfferDocument, tr: Tr) -> Result<RenderedEmail, QuoteError> {
    let mut payees = Vec::new();
    for (section, payment) in doc.payments() {
        let payload = payment.checked_payload()?;
        let iban = payment.iban_display();
        let communication = payment
            .communication()
            .map(|c| c.to_string())
            .unwrap_or_else(|_| payment.structured_communication.clone());
        let amount = tr.money(payment.amount);
        let qr_alt = tr.f(
            "offer.qr_alt",
            [
                ("payee", payment.payee.as_str()),
                ("amount", amount.as_str()),
                ("communication", communication.as_str()),
            ],
        );
        payees.push(PayeeView {
            section,
            payment,
            iban,
            communication,
            qr: qr::png_data_uri(&payload)?,
            qr_alt,
        });
    }
    Ok(RenderedEmail {
        subject: subject(doc, tr),
        text: EmailText {
            doc,
            tr,
            payees: &payees,
        }
        .render()?,
        html: EmailHtml {
            doc,
            tr,
            payees: &payees,
        }
        .render()?,
    })
}

impl OfferDocument {
    /// The introduction of the email: reference and version.
    fn intro(&self, tr: &Tr) -> String {
        let version = self.version.to_string();
        tr.f(
            "mail.offer.intro",
            [
                ("reference", self.reference.as_str()),
                ("version", version.as_str()),
            ],
        )
    }

    /// "This version replaces version N: why", when it does.
    pub fn supersedes_line(&self, tr: &Tr) -> Option<String> {
        self.supersedes.as_ref().map(|old| {
            let version = old.version.to_string();
            tr.f(
                "offer.supersedes",
                [
                    ("version", version.as_str()),
                    ("reason", old.reason.as_str()),
                ],
            )
        })
    }

    /// "Rien à payer à Proximus." for every operator nothing is due to.
    pub fn nothing_due(&self, tr: &Tr) -> Vec<String> {
        self.sections
            .iter()
            .filter(|s| s.payment.is_none())
            .map(|s| s.nothing_due(tr))
            .collect()
    }

    /// The validity sentence with its date (V-8.1).
    fn validity(&self, tr: &Tr) -> String {
        let date = tr.date(self.valid_until);
        tr.f("mail.offer.validity", [("date", date.as_str())])
    }
}

impl OperatorSection {
    /// "ORES (Électricité, Gaz) : 1 754,50 € TVA comprise"; "Proximus : 0,00 € TVA comprise"
    /// when the service is named after its operator (never "Proximus (Proximus)").
    fn summary_line(&self, tr: &Tr) -> String {
        let services = self.services_line();
        let amount = tr.money(self.subtotal_incl_vat);
        let key = if services.is_empty() || services == self.operator {
            "mail.offer.operator_alone"
        } else {
            "mail.offer.operator_line"
        };
        tr.f(
            key,
            [
                ("operator", self.operator.as_str()),
                ("services", services.as_str()),
                ("amount", amount.as_str()),
            ],
        )
    }

    /// "Offre — Viabilisation du terrain", "Facture — Raccordements".
    pub fn title(&self, tr: &Tr) -> String {
        tr.f(
            "offer.document_title",
            [
                (
                    "kind",
                    tr.keyed("offer.document", self.document.code()).as_str(),
                ),
                ("scope", tr.keyed("offer.scope", self.scope.code()).as_str()),
            ],
        )
    }

    /// An invoice says it is due without prior offer, with the rule that makes it so.
    pub fn invoice_note(&self, tr: &Tr) -> Option<String> {
        (self.document == super::DocumentKind::Invoice)
            .then(|| tr.f("offer.invoice.due", [("rule", "V-2.3, V-7")]))
    }

    /// V-2.3: "Adressée à et payable par : Lotissements Meuse SA, rue …, n° d'entreprise …",
    /// when someone other than the applicant pays this document.
    pub fn payer_line(&self, tr: &Tr) -> Option<String> {
        self.payer.as_ref().map(|payer| match &payer.vat_number {
            Some(number) => tr.f(
                "offer.payer.addressed_to_vat",
                [
                    ("name", payer.name.as_str()),
                    ("address", payer.address.as_str()),
                    ("number", number.as_str()),
                ],
            ),
            None => tr.f(
                "offer.payer.addressed_to",
                [
                    ("name", payer.name.as_str()),
                    ("address", payer.address.as_str()),
                ],
            ),
        })
    }

    /// "Rien à payer à Proximus."
    pub fn nothing_due(&self, tr: &Tr) -> String {
        tr.f("offer.nothing_due", [("operator", self.operator.as_str())])
    }
}
