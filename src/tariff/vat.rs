//! VAT regimes (rule V-6 for servicing, B-5.2 for water) and the per-rate computation.
//!
//! VAT is computed per regime on the sum of the document's lines under that regime and rounded
//! to the cent, half away from zero. The per-line VAT shown is that total shared out over the
//! lines (the rounding difference goes to the largest line), so the lines always add up.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{TariffError, error::Computing, line::QuoteLine, money::Money};

pub use crate::domain::VatStatus;

/// How VAT applies to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatRegime {
    /// 21%.
    Standard,
    /// 6% for works on a dwelling of 10 years or more (invoice mention required).
    Reduced,
    /// "Autoliquidation": the customer accounts for the VAT; 0 € on the document.
    ReverseCharge,
    /// Network without connection when the conditions of Decision T.5387 are met (V-6).
    OutsideScope,
    /// VAT-exempt applicant with proof (B-4.1, B-5.2).
    Exempt,
    /// Not a supply: credits paid to the applicant, subsidies, quote-parts paid to third parties.
    NotSubject,
}

impl VatRegime {
    pub const ALL: [VatRegime; 6] = [
        VatRegime::Standard,
        VatRegime::Reduced,
        VatRegime::ReverseCharge,
        VatRegime::OutsideScope,
        VatRegime::Exempt,
        VatRegime::NotSubject,
    ];

    /// The rate charged on the document, in percent.
    pub fn rate(self) -> Decimal {
        match self {
            Self::Standard => Decimal::from(21),
            Self::Reduced => Decimal::from(6),
            _ => Decimal::ZERO,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Reduced => "reduced",
            Self::ReverseCharge => "reverse_charge",
            Self::OutsideScope => "outside_scope",
            Self::Exempt => "exempt",
            Self::NotSubject => "not_subject",
        }
    }

    /// The invoice mention the regime requires, if any (translation key).
    pub fn mention_key(self) -> Option<&'static str> {
        match self {
            Self::Standard | Self::NotSubject => None,
            Self::Reduced => Some("tariff.mention.vat_reduced"),
            Self::ReverseCharge => Some("tariff.mention.vat_reverse_charge"),
            Self::OutsideScope => Some("tariff.mention.vat_outside_scope"),
            Self::Exempt => Some("tariff.mention.vat_exempt"),
        }
    }
}

/// What a line is, for VAT purposes; the regime follows from it and the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VatClass {
    /// Dossier-opening fee: always 21% (V-6).
    DossierFee,
    /// Public lighting: reverse charge for a VAT filer, else 21% (V-6).
    PublicLighting,
    /// Servicing network: outside scope under T.5387, else reverse charge for a VAT filer, else
    /// the legal rate (V-6).
    ServicingNetwork,
    /// Connection works on the dwelling; `exempt_applies` where the operator's rules accept an
    /// exempt applicant (water, B-5.2).
    ConnectionWorks { exempt_applies: bool },
    /// No VAT: credits, subsidies, quote-parts.
    NotSubject,
}

/// What decides the regime besides the class of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatContext {
    pub status: VatStatus,
    pub dwelling_age_years: Option<u32>,
    pub t5387_met: bool,
}

/// Age from which works on a dwelling qualify for 6%.
pub const REDUCED_RATE_DWELLING_AGE: u32 = 10;

pub fn regime_for(class: VatClass, context: VatContext) -> VatRegime {
    let filer = context.status == VatStatus::VatFiler;
    match class {
        VatClass::DossierFee => VatRegime::Standard,
        VatClass::PublicLighting if filer => VatRegime::ReverseCharge,
        VatClass::PublicLighting => VatRegime::Standard,
        VatClass::ServicingNetwork if context.t5387_met => VatRegime::OutsideScope,
        VatClass::ServicingNetwork if filer => VatRegime::ReverseCharge,
        VatClass::ServicingNetwork => VatRegime::Standard,
        VatClass::ConnectionWorks { .. } if filer => VatRegime::ReverseCharge,
        VatClass::ConnectionWorks {
            exempt_applies: true,
        } if context.status == VatStatus::Exempt => VatRegime::Exempt,
        VatClass::ConnectionWorks { .. } => match context.dwelling_age_years {
            Some(age) if age >= REDUCED_RATE_DWELLING_AGE => VatRegime::Reduced,
            _ => VatRegime::Standard,
        },
        VatClass::NotSubject => VatRegime::NotSubject,
    }
}

/// One row of the VAT breakdown of a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VatRow {
    pub regime: VatRegime,
    pub rate: Decimal,
    pub base: Money,
    pub vat: Money,
}

/// Computes the VAT per regime on the sum of its lines and writes each line's share.
pub fn apply_vat(lines: &mut [QuoteLine]) -> Result<Vec<VatRow>, TariffError> {
    let amounts: Vec<(VatRegime, Money)> = lines
        .iter()
        .map(|line| (line.vat_regime, line.amount_excl_vat))
        .collect();
    let (rows, shares) = share_vat(&amounts)?;
    for (line, share) in lines.iter_mut().zip(shares) {
        line.vat_rate = line.vat_regime.rate();
        line.vat_amount = share;
    }
    Ok(rows)
}

/// The VAT of one document whose lines are `(regime, amount excluding VAT)`: per regime on the
/// sum of its lines, rounded once (V-6, B-5.2), and each line's share of it — rounded per
/// line, the rounding difference on the largest line, so the shares add up to the total.
/// Any document (an offer re-priced, a part staff edited) is computed this way, never by
/// adding VAT rounded line by line.
pub fn share_vat(lines: &[(VatRegime, Money)]) -> Result<(Vec<VatRow>, Vec<Money>), TariffError> {
    let mut shares = vec![Money::ZERO; lines.len()];
    let mut rows = Vec::new();
    for regime in VatRegime::ALL {
        let members: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].0 == regime).collect();
        let Some(&first) = members.first() else {
            continue;
        };
        let rate = regime.rate();
        let base = Money::total(members.iter().map(|&i| lines[i].1)).computing("a VAT base")?;
        let vat = base.percent(rate).computing("the VAT")?;
        let mut shared = Money::ZERO;
        let mut largest = first;
        for &i in &members {
            let amount = lines[i].1;
            let share = amount.percent(rate).computing("the VAT of a line")?;
            shares[i] = share;
            shared = shared.checked_add(share).computing("the VAT")?;
            if amount.amount().abs() > lines[largest].1.amount().abs() {
                largest = i;
            }
        }
        let difference = vat.checked_sub(shared).computing("the VAT")?;
        shares[largest] = shares[largest]
            .checked_add(difference)
            .computing("the VAT of a line")?;
        rows.push(VatRow {
            regime,
            rate,
            base,
            vat,
        });
    }
    Ok((rows, shares))
}

/// Adds the rows of several documents into one breakdown per regime.
pub fn merge_rows<'a>(rows: impl Iterator<Item = &'a VatRow>) -> Result<Vec<VatRow>, TariffError> {
    let mut merged: Vec<VatRow> = Vec::new();
    for row in rows {
        match merged.iter_mut().find(|r| r.regime == row.regime) {
            Some(existing) => {
                existing.base = existing
                    .base
                    .checked_add(row.base)
                    .computing("a VAT base")?;
                existing.vat = existing.vat.checked_add(row.vat).computing("the VAT")?;
            }
            None => merged.push(row.clone()),
        }
    }
    merged.sort_by_key(|r| r.regime);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tariff::{LineKind, Operator, Unit, line::LineMaker};

    fn lines(amounts: &[&str], class: VatClass, context: VatContext) -> Vec<QuoteLine> {
        let maker = LineMaker {
            operator: Operator::Ores,
            book_version: "test",
            vat: context,
        };
        amounts
            .iter()
            .map(|a| {
                maker
                    .line(
                        "X",
                        "tariff.line.dossier_fee",
                        "V-6",
                        Decimal::ONE,
                        Unit::Flat,
                        a.parse().unwrap(),
                        class,
                        LineKind::Charge,
                    )
                    .unwrap()
            })
            .collect()
    }

    const PRIVATE: VatContext = VatContext {
        status: VatStatus::Private,
        dwelling_age_years: None,
        t5387_met: false,
    };

    #[test]
    fn vat_is_computed_on_the_sum_per_rate_then_shared_out() {
        // Three lines of 0.03 €: per line 0.0063 → 0.01 each (0.03 in all), but the rule is
        // 0.09 × 21% = 0.0189 → 0.02. The lines carry 0.01 + 0.01 + 0.00 = 0.02.
        let mut priced = lines(&["0.03", "0.03", "0.03"], VatClass::DossierFee, PRIVATE);
        let rows = apply_vat(&mut priced).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].vat.to_string(), "0.02");
        let shared = Money::total(priced.iter().map(|l| l.vat_amount)).unwrap();
        assert_eq!(shared, rows[0].vat);
    }

    #[test]
    fn v_6_regimes_follow_the_class_and_the_payer() {
        let filer = VatContext {
            status: VatStatus::VatFiler,
            ..PRIVATE
        };
        let t5387 = VatContext {
            t5387_met: true,
            ..PRIVATE
        };
        assert_eq!(regime_for(VatClass::DossierFee, filer), VatRegime::Standard);
        assert_eq!(
            regime_for(VatClass::PublicLighting, filer),
            VatRegime::ReverseCharge
        );
        assert_eq!(
            regime_for(VatClass::PublicLighting, PRIVATE),
            VatRegime::Standard
        );
        assert_eq!(
            regime_for(VatClass::ServicingNetwork, t5387),
            VatRegime::OutsideScope
        );
        assert_eq!(
            regime_for(VatClass::ServicingNetwork, filer),
            VatRegime::ReverseCharge
        );
        assert_eq!(
            regime_for(VatClass::ServicingNetwork, PRIVATE),
            VatRegime::Standard
        );
        let exempt = VatContext {
            status: VatStatus::Exempt,
            ..PRIVATE
        };
        let water = VatClass::ConnectionWorks {
            exempt_applies: true,
        };
        let gas = VatClass::ConnectionWorks {
            exempt_applies: false,
        };
        assert_eq!(regime_for(water, exempt), VatRegime::Exempt);
        assert_eq!(regime_for(gas, exempt), VatRegime::Standard);
        let old = VatContext {
            dwelling_age_years: Some(10),
            ..PRIVATE
        };
        assert_eq!(regime_for(gas, old), VatRegime::Reduced);
        assert_eq!(regime_for(VatClass::NotSubject, old), VatRegime::NotSubject);
    }

    #[test]
    fn half_cents_of_vat_round_away_from_zero() {
        // 0.50 × 21% = 0.105 → 0.11 (banker's rounding would give 0.10).
        let mut priced = lines(&["0.50"], VatClass::DossierFee, PRIVATE);
        let rows = apply_vat(&mut priced).unwrap();
        assert_eq!(rows[0].vat.to_string(), "0.11");
        // 6%: 0.25 × 6% = 0.015 → 0.02.
        let old = VatContext {
            dwelling_age_years: Some(12),
            ..PRIVATE
        };
        let mut priced = lines(
            &["0.25"],
            VatClass::ConnectionWorks {
                exempt_applies: false,
            },
            old,
        );
        assert_eq!(apply_vat(&mut priced).unwrap()[0].vat.to_string(), "0.02");
    }
}
