//! SWDE water connection ("branchement"): the B-rules as a pure function of a case and a book.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use super::{
    LineKind, Mention, Operator, QuoteLine, Refusal, TariffError, Unit,
    book::TariffBook,
    error::Computing,
    line::LineMaker,
    money::{Money, add, div, mul, negate, sub},
    vat::{VatClass, VatContext, VatStatus},
};

/// B-4.2: farther from the nearest main, an extension is needed first (B-11).
pub const MAX_DISTANCE_TO_MAIN_M: u32 = 50;
/// B-5.1: at most this route inside the parcel.
pub const MAX_INSIDE_PARCEL_M: u32 = 2;
/// B-10: quote-parts are due during this many months after the extension was paid.
pub const QUOTE_PART_MONTHS: u32 = 60;
/// Most connections one parcel may ask (B-4.3 grants more than one by occupancy; a building of
/// Connect my home has at most 4 dwellings, C-1).
pub const MAX_CONNECTIONS: u32 = 20;
/// Most holders of upstream sections a chain may list (B-10).
pub const MAX_EARLIER_HOLDERS: usize = 20;

pub use crate::domain::survey::{EarlierHolder, MAX_SECTION_COST_EUR, WaterCase, WaterWork};

/// One quote-part owed to an earlier holder (B-10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotePart {
    /// j, 1 for the first section.
    pub section: u32,
    pub holder: String,
    pub parcel: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterOutcome {
    pub lines: Vec<QuoteLine>,
    pub refusals: Vec<Refusal>,
    pub mentions: Vec<Mention>,
    pub quote_parts: Vec<QuotePart>,
}

/// B-10 (**interpretation**, see RULES.md): the k-th connection on a chain of sections pays
/// holder j `Q_j = C_j / (k − j + 1) × (60 − t_j) / 60`, nothing once t_j ≥ 60, each share
/// rounded to the cent half away from zero. `holders` are the k − 1 earlier holders, oldest
/// first; t must not increase along the chain (a later section cannot be older).
pub fn quote_parts(holders: &[EarlierHolder]) -> Result<Vec<QuotePart>, TariffError> {
    if holders.len() > MAX_EARLIER_HOLDERS {
        return Err(TariffError::too_large(
            "water.earlier_holders",
            format!("{MAX_EARLIER_HOLDERS} holders"),
            format!("{} holders", holders.len()),
        ));
    }
    // k: this connection is the next one on the chain.
    let k = Decimal::from(holders.len()).saturating_add(Decimal::ONE);
    let mut parts = Vec::with_capacity(holders.len());
    for ((index, holder), j) in holders.iter().enumerate().zip(1u32..) {
        if holder.section_cost.is_negative() {
            return Err(TariffError::Negative {
                what: "water.earlier_holders.section_cost",
                value: holder.section_cost.amount(),
            });
        }
        if holder.section_cost.amount() > Decimal::from(MAX_SECTION_COST_EUR) {
            return Err(TariffError::too_large(
                format!("water.earlier_holders[{index}].section_cost"),
                format!("{MAX_SECTION_COST_EUR} €"),
                holder.section_cost,
            ));
        }
        if let Some(before) = index.checked_sub(1).and_then(|i| holders.get(i))
            && holder.months_since_payment > before.months_since_payment
        {
            return Err(TariffError::invalid(
                format!("water.earlier_holders[{index}].months_since_payment"),
                format!(
                    "{} months is older than the section before it ({} months): list the \
                     holders in the order their sections were financed (rule B-10)",
                    holder.months_since_payment, before.months_since_payment
                ),
            ));
        }
        let remaining = QUOTE_PART_MONTHS.saturating_sub(holder.months_since_payment);
        // One division at the end so the share is exact before its single rounding.
        let sharing = sub(k, Decimal::from(j))
            .and_then(|rest| add(rest, Decimal::ONE))
            .and_then(|sharers| mul(sharers, Decimal::from(QUOTE_PART_MONTHS)));
        let amount = mul(holder.section_cost.amount(), Decimal::from(remaining))
            .and_then(|due| div(due, sharing?))
            .map(Money::from_decimal)
            .computing("a quote-part")?;
        parts.push(QuotePart {
            section: j,
            holder: holder.holder.clone(),
            parcel: holder.parcel.clone(),
            amount,
        });
    }
    Ok(parts)
}

fn refusal(
    rule: &'static str,
    reason_key: &'static str,
    args: &[(&'static str, String)],
) -> Refusal {
    Refusal {
        operator: Operator::Swde,
        rule,
        reason_key,
        args: args.iter().cloned().collect::<BTreeMap<_, _>>(),
    }
}

/// Prices a water connection with the SWDE book in force. A connection that cannot be made as
/// asked gives refusals with their reasons (B-4.4) and no lines.
pub fn price_water(
    case: &WaterCase,
    book: &TariffBook,
    vat: VatContext,
    new_individual_dwelling: bool,
) -> Result<WaterOutcome, TariffError> {
    let tariff = book
        .water
        .as_ref()
        .ok_or_else(|| TariffError::BookInvalid {
            version: book.version().to_owned(),
            path: "water".to_owned(),
            reason: "is missing".to_owned(),
        })?;
    if case.connections == 0 {
        return Err(TariffError::invalid(
            "water.connections",
            "at least one connection",
        ));
    }
    if case.connections > MAX_CONNECTIONS {
        return Err(TariffError::too_large(
            "water.connections",
            MAX_CONNECTIONS,
            case.connections,
        ));
    }
    let maker = LineMaker {
        operator: Operator::Swde,
        book_version: book.version(),
        vat,
    };
    let works = VatClass::ConnectionWorks {
        exempt_applies: true,
    };
    let mut mentions = vec![
        Mention {
            key: "tariff.mention.water_documents",
            rule: Some("B-4.1"),
        },
        Mention {
            key: "tariff.mention.water_certibeau",
            rule: None,
        },
    ];
    if vat.status == VatStatus::Exempt {
        mentions.push(Mention {
            key: "tariff.mention.water_exemption_proof",
            rule: Some("B-4.1"),
        });
    }

    if case.work == WaterWork::Renewal && case.unbilled_24_months {
        // B-9, art. 9: "L'ONEA ne sera plus sous l'obligation [...] de renouveler un branchement
        // qui n'aura pas donné lieu à une consommation d'eau facturée depuis 24 mois".
        mentions.push(Mention {
            key: "tariff.mention.water_renewal_unbilled",
            rule: Some("B-9"),
        });
    } else if case.work == WaterWork::Renewal {
        mentions.push(Mention {
            key: "tariff.mention.water_renewal",
            rule: Some("B-9"),
        });
        let line = maker.line(
            "B-RENEWAL",
            "tariff.line.water_renewal",
            "B-9",
            Decimal::ONE,
            Unit::Flat,
            Decimal::ZERO,
            works,
            LineKind::Charge,
        )?;
        return Ok(WaterOutcome {
            lines: vec![line],
            refusals: Vec::new(),
            mentions,
            quote_parts: Vec::new(),
        });
    }

    let distance = case.distance_to_main_m.value();
    let max_distance = Decimal::from(MAX_DISTANCE_TO_MAIN_M);
    let extension = match case.extension_m {
        Some(metres) => Some(metres.value()),
        None if distance > max_distance => Some(distance),
        None => None,
    };
    let remaining = sub(distance, extension.unwrap_or_default())
        .computing("the distance left to the main")?
        .max(Decimal::ZERO);

    let mut refusals = Vec::new();
    if case.inside_parcel_m.value() > Decimal::from(MAX_INSIDE_PARCEL_M) {
        refusals.push(refusal(
            "B-5.1",
            "tariff.refusal.water_inside_parcel",
            &[
                ("metres", case.inside_parcel_m.to_string()),
                ("max", MAX_INSIDE_PARCEL_M.to_string()),
            ],
        ));
    }
    if case.connections > 1 && !case.extra_connections_granted {
        refusals.push(refusal(
            "B-4.3",
            "tariff.refusal.water_one_connection",
            &[("connections", case.connections.to_string())],
        ));
    }
    if remaining > max_distance {
        refusals.push(refusal(
            "B-4.2",
            "tariff.refusal.water_too_far",
            &[
                ("metres", remaining.normalize().to_string()),
                ("max", MAX_DISTANCE_TO_MAIN_M.to_string()),
            ],
        ));
    }
    if !refusals.is_empty() {
        mentions.push(Mention {
            key: "tariff.mention.refusal_in_writing",
            rule: Some("B-4.4"),
        });
        return Ok(WaterOutcome {
            lines: Vec::new(),
            refusals,
            mentions,
            quote_parts: Vec::new(),
        });
    }

    let mut lines = vec![maker.line(
        "B-REGISTRATION",
        "tariff.line.water_registration_fee",
        "B-4.1",
        Decimal::ONE,
        Unit::Flat,
        tariff.registration_fee,
        works,
        LineKind::Charge,
    )?];

    // B-5.2: parts + labour, then the overhead markup on both.
    let count = Decimal::from(case.connections);
    let length = add(remaining, case.inside_parcel_m.value()).computing("the route length")?;
    let extra = sub(length, tariff.included_metres)
        .computing("the route length")?
        .max(Decimal::ZERO);
    // B-8, art. 8: a modification of the route, of the delivery points or of the diameter
    // pays "le surcoût par rapport au montant qu'il aurait facturé dans le cas d'un premier
    // établissement": the standard connection is not billed again, what goes beyond it is.
    let mut priced = Vec::new();
    if case.work != WaterWork::Modification {
        priced.extend([
            maker
                .line(
                    "B-PARTS",
                    "tariff.line.water_parts",
                    "B-5.2",
                    count,
                    Unit::Piece,
                    tariff.standard_parts,
                    works,
                    LineKind::Charge,
                )?
                .arg("included", tariff.included_metres.normalize()),
            maker.line(
                "B-LABOUR",
                "tariff.line.water_labour",
                "B-5.2",
                count,
                Unit::Piece,
                tariff.standard_labour,
                works,
                LineKind::Charge,
            )?,
        ]);
    }
    if extra > Decimal::ZERO {
        let metres = mul(extra, count).computing("the extra metres")?;
        priced.push(
            maker
                .line(
                    "B-PARTS-M",
                    "tariff.line.water_parts_extra_metres",
                    "B-5.2",
                    metres,
                    Unit::Metre,
                    tariff.extra_metre_parts,
                    works,
                    LineKind::Charge,
                )?
                .arg("length", length.normalize())
                .arg("included", tariff.included_metres.normalize()),
        );
        priced.push(maker.line(
            "B-LABOUR-M",
            "tariff.line.water_labour_extra_metres",
            "B-5.2",
            metres,
            Unit::Metre,
            tariff.extra_metre_labour,
            works,
            LineKind::Charge,
        )?);
    }
    let base = Money::total(priced.iter().map(|l| l.amount_excl_vat)).computing("B-MARKUP")?;
    let markup_rate =
        div(tariff.overhead_markup_percent, Decimal::ONE_HUNDRED).computing("B-MARKUP")?;
    let marked_up = !priced.is_empty();
    lines.extend(priced);
    if marked_up {
        lines.push(
            maker
                .line(
                    "B-MARKUP",
                    "tariff.line.water_overhead_markup",
                    "B-5.2",
                    base.amount(),
                    Unit::Euro,
                    markup_rate,
                    works,
                    LineKind::Charge,
                )?
                .arg("percent", tariff.overhead_markup_percent.normalize()),
        );
    }

    if case.pressure_installation {
        lines.push(maker.line(
            "B-PRESSURE",
            "tariff.line.water_pressure_installation",
            "B-5.2",
            Decimal::ONE,
            Unit::Flat,
            tariff.pressure_installation,
            works,
            LineKind::Charge,
        )?);
        lines.push(maker.line(
            "B-PRESSURE-SUBSIDY",
            "tariff.line.water_pressure_subsidy",
            "B-5.2",
            Decimal::ONE,
            Unit::Flat,
            negate(tariff.pressure_installation_subsidy),
            VatClass::NotSubject,
            LineKind::Subsidy,
        )?);
    }

    // B-11: the extension is quoted with the connection; B-4.2 says why it is needed.
    if let Some(metres) = extension.filter(|m| *m > Decimal::ZERO) {
        lines.push(
            maker
                .line(
                    "B-EXTENSION",
                    "tariff.line.water_extension",
                    "B-11",
                    metres,
                    Unit::Metre,
                    tariff.extension_per_metre,
                    works,
                    LineKind::Charge,
                )?
                .arg("distance", distance.normalize())
                .arg("max", MAX_DISTANCE_TO_MAIN_M),
        );
        if new_individual_dwelling && case.work == WaterWork::New {
            lines.push(maker.line(
                "B-EXTENSION-SUBSIDY",
                "tariff.line.water_extension_subsidy",
                "B-5.2",
                metres,
                Unit::Metre,
                negate(tariff.extension_subsidy_per_metre),
                VatClass::NotSubject,
                LineKind::Subsidy,
            )?);
        }
        mentions.push(Mention {
            key: "tariff.mention.water_extension",
            rule: Some("B-4.2"),
        });
    }

    // B-10: one share per earlier holder, paid to them.
    let parts = quote_parts(&case.earlier_holders)?;
    let k = case.earlier_holders.len().saturating_add(1);
    for (part, holder) in parts.iter().zip(&case.earlier_holders) {
        let mut line = maker
            .line(
                "B-QUOTE-PART",
                "tariff.line.water_quote_part",
                "B-10",
                Decimal::ONE,
                Unit::Flat,
                part.amount.amount(),
                VatClass::NotSubject,
                LineKind::ThirdParty,
            )?
            .arg("holder", &holder.holder)
            .arg("parcel", &holder.parcel)
            .arg("j", part.section)
            .arg("k", k)
            .arg("cost", holder.section_cost)
            .arg("months", holder.months_since_payment);
        line.payee = Some(holder.holder.clone());
        lines.push(line);
    }
    if !parts.is_empty() {
        mentions.push(Mention {
            key: "tariff.mention.water_quote_parts",
            rule: Some("B-10"),
        });
    }

    if case.work == WaterWork::Modification {
        mentions.push(Mention {
            key: "tariff.mention.water_modification",
            rule: Some("B-8"),
        });
    }
    mentions.extend([
        Mention {
            key: "tariff.mention.water_survey",
            rule: Some("B-5.1"),
        },
        Mention {
            key: "tariff.mention.water_quote_elements",
            rule: Some("B-5.2"),
        },
        Mention {
            key: "tariff.mention.water_payment_before_works",
            rule: Some("B-5.4"),
        },
        Mention {
            key: "tariff.mention.water_works_within_month",
            rule: Some("B-5.5"),
        },
    ]);
    Ok(WaterOutcome {
        lines,
        refusals,
        mentions,
        quote_parts: parts,
    })
}
