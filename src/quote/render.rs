//! Offer email bodies (placeholder).
use super::OfferDocument;
use crate::i18n::Tr;

#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    #[error("render: {0}")]
    Render(String),
}

pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn email(doc: &OfferDocument, _tr: Tr) -> Result<RenderedEmail, QuoteError> {
    Ok(RenderedEmail {
        subject: format!("Offre {} v{}", doc.reference, doc.version),
        text: format!("{:#?}", doc),
        html: format!("<pre>{:#?}</pre>", doc),
    })
}
