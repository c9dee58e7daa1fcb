//! Output lines and the other items of a priced document.

use std::{collections::BTreeMap, fmt};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    TariffError,
    error::Computing,
    money::Money,
    vat::{VatClass, VatContext, VatRegime, regime_for},
};

/// A network operator taking part in Connect my home (rule C-1).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Operator {
    Ores,
    Swde,
    Proximus,
    Voo,
}

impl Operator {
    pub const ALL: [Operator; 4] = [
        Operator::Ores,
        Operator::Swde,
        Operator::Proximus,
        Operator::Voo,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Ores => "ores",
            Self::Swde => "swde",
            Self::Proximus => "proximus",
            Self::Voo => "voo",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A flat amount, once.
    Flat,
    Piece,
    Metre,
    SquareMetre,
    Dwelling,
    Cabin,
    /// The quantity is an amount in euros and the unit price a rate (overhead markup).
    Euro,
}

/// Whether a line may be negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Something the applicant pays the operator; never negative.
    Charge,
    /// Paid to the applicant (cabin lease fee, V-9.2): negative.
    Credit,
    /// Deducted by the operator (B-5.2): negative.
    Subsidy,
    /// Collected for a third party (quote-part to an earlier holder, B-10): never negative.
    ThirdParty,
}

/// One priced line, self-explaining: what, how many, at what price, under which rule and book.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteLine {
    pub operator: Operator,
    pub code: &'static str,
    /// Translation key of the label; `args` fill its placeholders.
    pub label_key: &'static str,
    pub args: BTreeMap<&'static str, String>,
    pub quantity: Decimal,
    pub unit: Unit,
    pub unit_price: Decimal,
    pub amount_excl_vat: Money,
    pub vat_regime: VatRegime,
    pub vat_rate: Decimal,
    pub vat_amount: Money,
    pub kind: LineKind,
    /// Who receives the amount when it is not the operator (B-10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payee: Option<String>,
    pub rule: &'static str,
    pub book_version: String,
}

/// Builds lines of one operator under one book and one VAT context.
#[derive(Debug, Clone)]
pub(crate) struct LineMaker<'a> {
    pub operator: Operator,
    pub book_version: &'a str,
    pub vat: VatContext,
}

impl LineMaker<'_> {
    /// A line: the amount is quantity × unit price rounded to the cent, half away from zero; an
    /// amount beyond the decimal range is refused with the line's code.
    #[expect(
        clippy::too_many_arguments,
        reason = "a line is all of these, named at the call"
    )]
    pub fn line(
        &self,
        code: &'static str,
        label_key: &'static str,
        rule: &'static str,
        quantity: Decimal,
        unit: Unit,
        unit_price: Decimal,
        class: VatClass,
        kind: LineKind,
    ) -> Result<QuoteLine, TariffError> {
        Ok(QuoteLine {
            operator: self.operator,
            code,
            label_key,
            args: BTreeMap::new(),
            quantity,
            unit,
            unit_price,
            amount_excl_vat: Money::product(quantity, unit_price).computing(code)?,
            vat_regime: regime_for(class, self.vat),
            vat_rate: Decimal::ZERO,
            vat_amount: Money::ZERO,
            kind,
            payee: None,
            rule,
            book_version: self.book_version.to_owned(),
        })
    }
}

impl QuoteLine {
    pub(crate) fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.insert(name, value.to_string());
        self
    }
}

/// Work that is not in this estimate and gets its own offer (never silently dropped, V-4.1d).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeparateItem {
    pub operator: Operator,
    pub code: &'static str,
    pub label_key: &'static str,
    pub rule: &'static str,
}

/// A text every priced document of this case must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mention {
    pub key: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
}

/// A connection that cannot be made as asked, with its written reasons (B-4.4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    pub operator: Operator,
    pub rule: &'static str,
    pub reason_key: &'static str,
    pub args: BTreeMap<&'static str, String>,
}
