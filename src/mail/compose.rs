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
}

pub fn request_filed(tr: Tr, m: &RequestFiled) -> Result<Composed, askama::Error> {
    Ok(Composed {
        subject: tr.f("mail.filed.subject", [("reference", m.reference.as_str())]),
        text: RequestFiledText { tr, m }.render()?,
        html: RequestFiledHtml { tr, m }.render()?,
    })
}
