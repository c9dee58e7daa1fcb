//! Pure tariff engines: versioned tariff books (data under `tariffs/`) and the rules that price
//! a case with them. No I/O: the books are embedded at build time or handed in by the caller.
//!
//! - `servicing`: ORES servicing of land (V-rules);
//! - `water`: SWDE water connection (B-rules), quote-parts included;
//! - `connection`: ORES electricity bands and gas, Proximus and VOO standard connections;
//! - `vat`: the VAT regimes and the per-rate computation;
//! - `estimate`: the consolidated estimate of a described case (the entry point);
//! - `gap`: a day no book of an operator is in force on, with the books around it (V-5).

// Money and quantities here are checked: an overflow is a refusal, never a panic.
#![deny(clippy::arithmetic_side_effects)]

pub mod book;
pub mod connection;
pub mod error;
pub mod estimate;
pub mod gap;
pub mod land;
pub mod line;
/// Money and lengths are the domain's; the engines use them under their old path too.
pub use crate::domain::money;
pub mod servicing;
pub mod vat;
pub mod water;

pub use book::{BookRef, BookSet, TariffBook, parse_book};
pub use connection::{ElectricityCase, GasCase};
pub use error::TariffError;
pub use estimate::{
    BuildingKind, Estimate, EstimateCase, OperatorQuote, Scope, Tariffs, estimate, estimate_json,
    parse_case,
};
pub use gap::{BookSpan, TariffGap};
pub use land::{LandPrice, LandPrices};
pub use line::{LineKind, Mention, Operator, QuoteLine, Refusal, SeparateItem, Unit};
pub use money::{Metres, Money, round_cents};
pub use servicing::{
    CabinCase, CabinKind, DocumentKind, Exclusion, Operation, ServicingCase, SocialPromoter,
};
pub use vat::{REDUCED_RATE_DWELLING_AGE, VatRegime, VatRow, VatStatus, share_vat};
pub use water::{EarlierHolder, QuotePart, WaterCase, WaterWork};
