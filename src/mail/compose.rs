//! The content of each message, rendered in the recipient's language.

use askama::Template;

use crate::i18n::Tr;

/// Subject and bodies of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "email/request_filed.txt")]
struct RequestFiledText<'a> {
    tr: Tr,
    m: &'a RequestFiled,
}

#[derive(Template)]
#[template(path = "email/request_filed.html")]
struct RequestFiledHtml<'a> {
    tr: Tr,
    m: &'a RequestFiled,
}

/// The confirmation sent when a request is filed, with the private link to follow it.
#[derive(Debug, Clone)]
pub struct RequestFiled {
    pub reference: String,
    pub applicant_name: String,
    pub site: String,
    pub services: Vec<String>,
    pub follow_url: String,
    /// V-3.1: the dossier-opening fee invoiced with the filing, if any.
    pub dossier_fee: Option<DossierFeeMail>,
}

/// V-3.1: the dossier-fee invoice as the confirmation tells it (amounts already formatted).
#[derive(Debug, Clone)]
pub struct DossierFeeMail {
    pub number: String,
    pub amount: String,
    pub amount_excl_vat: String,
    pub vat_amount: String,
    pub payee: String,
    pub iban: String,
    pub bic: String,
    pub communication: String,
    pub due_on: String,
    /// V-2.3: "Addressed to and payable by …" when the servicing's payer is not the applicant.
    pub addressed_to: Option<String>,
}

pub fn request_filed(tr: Tr, m: &RequestFiled) -> Result<Composed, askama::Error> {
    Ok(Composed {
        subject: tr.f("mail.filed.subject", [("reference", m.reference.as_str())]),
        text: RequestFiledText { tr, m }.render()?,
        html: RequestFiledHtml { tr, m }.render()?,
    })
}

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct NoticeText<'a> {
    tr: Tr,
    m: &'a Notice,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    tr: Tr,
    m: &'a Notice,
}

/// A short message telling the applicant what changed and where to follow it (acceptance
/// received, payment registered, offer about to lapse…).
#[derive(Debug, Clone)]
pub struct Notice {
    pub subject: String,
    pub name: String,
    pub paragraphs: Vec<String>,
    pub link: Option<String>,
}

pub fn notice(tr: Tr, m: &Notice) -> Result<Composed, askama::Error> {
    Ok(Composed {
        subject: m.subject.clone(),
        text: NoticeText { tr, m }.render()?,
        html: NoticeHtml { tr, m }.render()?,
    })
}

#[derive(Template)]
#[template(path = "email/missing_documents.txt")]
struct MissingDocumentsText<'a> {
    tr: Tr,
    m: &'a MissingDocuments,
}

#[derive(Template)]
#[template(path = "email/missing_documents.html")]
struct MissingDocumentsHtml<'a> {
    tr: Tr,
    m: &'a MissingDocuments,
}

/// The case officer's request for missing documents, with a private link to upload them.
#[derive(Debug, Clone)]
pub struct MissingDocuments {
    pub reference: String,
    pub applicant_name: String,
    /// One line per document: what, and by when.
    pub items: Vec<String>,
    /// The case officer's own words, if any.
    pub message: Option<String>,
    pub upload_url: String,
}

pub fn missing_documents(tr: Tr, m: &MissingDocuments) -> Result<Composed, askama::Error> {
    Ok(Composed {
        subject: tr.f(
            "documents.mail.subject",
            [("reference", m.reference.as_str())],
        ),
        text: MissingDocumentsText { tr, m }.render()?,
        html: MissingDocumentsHtml { tr, m }.render()?,
    })
}
