//! Offer PDF (placeholder).
use super::{OfferDocument, render::QuoteError};
use crate::i18n::Tr;

pub fn pdf(doc: &OfferDocument, _tr: Tr) -> Result<Vec<u8>, QuoteError> {
    Ok(format!("%PDF-1.4\n{:#?}", doc).into_bytes())
}
