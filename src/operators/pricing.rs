//! Quote lines of an operator's part, priced by the tariff engines from the request's facts.
//! What the form does not tell (water route lengths, extra gas metres) is priced as the
//! standard case; operator staff adjust after their survey.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::RequestFacts;
use crate::{
    domain::{Building, Service, survey::WaterSurvey},
    tariff::{
        self, BuildingKind, DocumentKind, ElectricityCase, EstimateCase, GasCase, LineKind,
        Operator, QuoteLine, Scope, TariffError, TariffGap, Tariffs, WaterCase,
    },
};

/// A priced line as stored with an answer: owned, so versions can be read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    pub code: String,
    pub label_key: String,
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    pub quantity: Decimal,
    pub unit: String,
    pub unit_price: Decimal,
    pub amount_excl_vat: Decimal,
    pub vat_regime: String,
    pub vat_rate: Decimal,
    pub vat_amount: Decimal,
    pub rule: String,
    pub book_version: String,
    /// Who pays whom (V-9.2 credit, B-10 share to an earlier holder); read through
    /// [`PricedLine::kind`], which also knows the lines stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<LineKind>,
    /// Who receives the amount when it is not the operator (B-10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<String>,
    /// For a line of the servicing of land (V-8): the document it goes on, an offer or an
    /// invoice (V-2.3, V-7); read through [`PricedLine::servicing`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servicing: Option<DocumentKind>,
}

/// The serde name of a unit variant (`standard`, `metre`…): the translation key suffix.
pub fn code_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl From<&QuoteLine> for PricedLine {
    fn from(line: &QuoteLine) -> Self {
        PricedLine {
            code: line.code.to_owned(),
            label_key: line.label_key.to_owned(),
            args: line
                .args
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            quantity: line.quantity,
            unit: code_of(&line.unit),
            unit_price: line.unit_price,
            amount_excl_vat: line.amount_excl_vat.amount(),
            vat_regime: code_of(&line.vat_regime),
            vat_rate: line.vat_rate,
            vat_amount: line.vat_amount.amount(),
            rule: line.rule.to_owned(),
            book_version: line.book_version.clone(),
            kind: Some(line.kind),
            payee: line.payee.clone(),
            servicing: None,
        }
    }
}

impl PricedLine {
    /// A line the applicant pays the operator, as staff or a partner's module adds it.
    #[expect(
        clippy::too_many_arguments,
        reason = "a line is all of these, named at the call"
    )]
    pub fn charge(
        code: String,
        label_key: String,
        args: BTreeMap<String, String>,
        quantity: Decimal,
        unit: String,
        unit_price: Decimal,
        vat_regime: String,
        vat_rate: Decimal,
        rule: String,
        book_version: String,
    ) -> Self {
        PricedLine {
            code,
            label_key,
            args,
            quantity,
            unit,
            unit_price,
            amount_excl_vat: Decimal::ZERO,
            vat_regime,
            vat_rate,
            vat_amount: Decimal::ZERO,
            rule,
            book_version,
            kind: Some(LineKind::Charge),
            payee: None,
            servicing: None,
        }
    }

    /// Who pays whom for this line. Lines stored before the kind was kept are known by their
    /// code: the cabin lease (V-9.2) is a credit, a quote-part (B-10) goes to a third party.
    pub fn kind(&self) -> LineKind {
        match (self.kind, self.code.as_str()) {
            (Some(kind), _) => kind,
            (None, "V-LEASE") => LineKind::Credit,
            (None, "B-QUOTE-PART") => LineKind::ThirdParty,
            (None, _) if self.amount_excl_vat.is_sign_negative() => LineKind::Subsidy,
            (None, _) => LineKind::Charge,
        }
    }

    /// The servicing document this line goes on, if it is one of the servicing of land (V-8):
    /// lines stored before it was kept are known by their `V-` code, on an offer.
    pub fn servicing(&self) -> Option<DocumentKind> {
        self.servicing
            .or_else(|| self.code.starts_with("V-").then_some(DocumentKind::Offer))
    }

    /// What identifies the line among its fresh prices: its code, and for a share the holder
    /// and parcel it goes to (two quote-parts share a code, B-10).
    pub fn identity(&self) -> (&str, Option<&str>, Option<&str>) {
        (
            self.code.as_str(),
            self.payee
                .as_deref()
                .or_else(|| self.args.get("holder").map(String::as_str)),
            self.args.get("parcel").map(String::as_str),
        )
    }

    /// The line's label in the reader's language. A partner line stored before German (or
    /// Dutch) labels travelled with it shows its French label to German (or Dutch) readers.
    pub fn label(&self, tr: crate::i18n::Tr) -> String {
        // Electricity bands travel as their codes (`3x25`) and are written in the reader's
        // language (`3 × 25 A (17,3 kVA)`); a line stored before that carries the English
        // label, whose decimal point is then written the reader's way.
        let shown: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(key, value)| {
                let text = match key.as_str() {
                    "band" | "from" | "to" => match crate::domain::ElectricityBand::parse(value) {
                        Ok(band) => tr.band(band),
                        Err(_) if value.ends_with(" kVA)") => tr.decimal_text(value),
                        Err(_) => value.clone(),
                    },
                    _ => value.clone(),
                };
                (key.as_str(), text)
            })
            .collect();
        let mut args: Vec<(&str, &str)> = shown
            .iter()
            .map(|(key, text)| (*key, text.as_str()))
            .collect();
        if let Some(french) = self.args.get("label_fr") {
            for own in ["label_de", "label_nl"] {
                if !self.args.contains_key(own) {
                    args.push((own, french.as_str()));
                }
            }
        }
        tr.f(&self.label_key, args)
    }
}

/// The note of a water part priced at the normal rate while the proof of the applicant's
/// declared VAT exemption is awaited (B-4.1).
pub const EXEMPTION_PENDING: &str = "tariff.mention.water_exemption_pending";

/// The case the request describes for one service, in its standard form.
fn case_for(service: Service, facts: &RequestFacts, postcode: &str) -> EstimateCase {
    let mut case = EstimateCase::new(facts.submitted_on);
    case.postcode = Some(postcode.to_owned());
    case.applicant_vat = facts.vat_status();
    case.dwelling_age_years = facts.dwelling.age_on(facts.submitted_on);
    if let Building::Apartments { dwellings } = facts.building {
        case.building = BuildingKind::Building;
        case.dwellings = dwellings;
    }
    match service {
        Service::Electricity => {
            case.electricity = facts.electricity_band.map(|band| ElectricityCase {
                band: band.code(),
                current_band: facts.electricity_current_band.map(|current| current.code()),
            });
            // ORES electricity prices the servicing of the land too, as its own document (V-8).
            case.servicing = facts.servicing.as_ref().map(|servicing| servicing.case());
            // V-8.3: a changed project is priced at the tariffs in force on the change.
            case.modification_date = facts
                .servicing
                .as_ref()
                .and_then(|servicing| servicing.study.modified_on);
        }
        Service::Gas => case.gas = Some(GasCase::default()),
        // Priced as the standard case until SWDE's survey measured the route (B-5.1).
        Service::Water => {
            let mut water = facts
                .water_survey
                .as_ref()
                .map_or_else(WaterCase::default, WaterSurvey::case);
            water.work = facts.water_work;
            water.unbilled_24_months = facts.water_unbilled;
            case.water = Some(water);
        }
        Service::Proximus => case.proximus = true,
        Service::Voo => case.voo = true,
    }
    case
}

/// Why an operator's part carries no price from the books, stored with its answer: said to
/// staff, and no offer goes out without the part priced (V-5) — never a price at zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unpriced {
    /// No book of the operator is in force on the part's tariff date.
    NoBookInForce(TariffGap),
    /// The engines refused the part for another reason, in their words.
    PricingFailed { detail: String },
}

impl Unpriced {
    /// What a pricing error says of the part: a gap between books, or another refusal.
    pub fn of(tariffs: &Tariffs, error: &TariffError) -> Self {
        match TariffGap::of(&tariffs.books, error) {
            Some(gap) => Unpriced::NoBookInForce(gap),
            None => Unpriced::PricingFailed {
                detail: error.to_string(),
            },
        }
    }
}

/// The operator whose books price `service` (ORES prices electricity and gas).
pub fn operator_of(service: Service) -> Operator {
    match service {
        Service::Electricity | Service::Gas => Operator::Ores,
        Service::Water => Operator::Swde,
        Service::Proximus => Operator::Proximus,
        Service::Voo => Operator::Voo,
    }
}

/// What a part leaves to a separate offer (V-4.1d, V-4.3), as stored with an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeparateQuote {
    pub code: String,
    pub label_key: String,
    pub rule: String,
}

/// A part priced: its lines, what is quoted separately, and the texts its offer must carry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PricedPart {
    pub lines: Vec<PricedLine>,
    pub separately_quoted: Vec<SeparateQuote>,
    /// Translation keys (`tariff.mention.*`).
    pub mentions: Vec<String>,
    /// Why the engine refuses the part as described, each reason with its rule (B-4.4).
    pub refusals: Vec<super::refusal::Refusal>,
}

/// V-3.1: the dossier-opening fee owed when the request is filed ("préalablement à
/// l'intervention d'ORES"): the engine's `V-DOSSIER` line of the servicing priced with the book
/// in force on the request date (V-5), VAT at 21% (V-6). `None` when it charges nothing: a social
/// project (V-3.2), a dossier this applicant already opened for this land (V-3.1), or a
/// servicing invoiced without an offer, where the fee stays on that invoice (V-7, art. 7).
pub fn dossier_fee(
    tariffs: &Tariffs,
    facts: &RequestFacts,
    postcode: &str,
) -> Result<Option<PricedLine>, TariffError> {
    let Some(servicing) = &facts.servicing else {
        return Ok(None);
    };
    let mut case = EstimateCase::new(facts.submitted_on);
    case.postcode = Some(postcode.to_owned());
    case.applicant_vat = facts.applicant_vat;
    let mut servicing = servicing.case();
    // The fee does not depend on the cabins: their lease fee needs the land prices of the
    // offer's year, which the filing does not need to know.
    servicing.cabin = None;
    case.servicing = Some(servicing);
    let estimate = tariff::estimate(tariffs, &case)?;
    Ok(estimate
        .quotes
        .iter()
        .filter(|quote| {
            quote.operator == Operator::Ores
                && quote.scope == Scope::Servicing
                && quote.document == DocumentKind::Offer
        })
        .flat_map(|quote| quote.lines.iter())
        .find(|line| line.code == "V-DOSSIER" && line.amount_excl_vat.amount() > Decimal::ZERO)
        .map(|line| PricedLine {
            servicing: Some(DocumentKind::Offer),
            ..PricedLine::from(line)
        }))
}

/// The lines of `service`'s part: its operator's document, and for ORES only the lines of
/// that energy (E- electricity, G- gas) — plus, for electricity, the V- lines of the servicing
/// document when the land is serviced (V-8). `tariffs` holds the uploaded books too; the one in
/// force on the filing date applies (V-5).
pub fn price(
    tariffs: &Tariffs,
    service: Service,
    facts: &RequestFacts,
    postcode: &str,
) -> Result<Vec<PricedLine>, TariffError> {
    Ok(price_part(tariffs, service, facts, postcode)?.lines)
}

/// [`price`], with the items quoted separately and the mentions of the servicing document
/// (V- rules: only ORES electricity prices servicing).
pub fn price_part(
    tariffs: &Tariffs,
    service: Service,
    facts: &RequestFacts,
    postcode: &str,
) -> Result<PricedPart, TariffError> {
    let estimate = tariff::estimate(tariffs, &case_for(service, facts, postcode))?;
    let operator = operator_of(service);
    let prefix = match service {
        Service::Electricity => "E-",
        Service::Gas => "G-",
        Service::Water | Service::Proximus | Service::Voo => "",
    };
    let lines = estimate
        .quotes
        .iter()
        .filter(|quote| quote.operator == operator)
        .flat_map(|quote| {
            let servicing = (quote.scope == Scope::Servicing).then_some(quote.document);
            quote
                .lines
                .iter()
                .filter(move |line| servicing.is_some() || line.code.starts_with(prefix))
                .map(move |line| PricedLine {
                    servicing,
                    ..PricedLine::from(line)
                })
        })
        .collect();
    let servicing = service == Service::Electricity;
    let separately_quoted = estimate
        .separately_quoted
        .iter()
        .filter(|item| item.operator == operator && (servicing || !item.rule.starts_with("V-")))
        .map(|item| SeparateQuote {
            code: item.code.to_owned(),
            label_key: item.label_key.to_owned(),
            rule: item.rule.to_owned(),
        })
        .collect();
    // The texts of this part's own rules: the servicing document's (V-), the water
    // extension's and quote-parts' (B-4.2, B-10). VAT mentions belong to the whole offer.
    let own_rule = |rule: &str| match service {
        Service::Electricity => rule.starts_with("V-"),
        Service::Water => matches!(rule, "B-4.2" | "B-8" | "B-9" | "B-10"),
        _ => false,
    };
    let mut mentions: Vec<String> = estimate
        .mentions
        .iter()
        .filter(|m| m.rule.is_some_and(own_rule) && !m.key.starts_with("tariff.mention.vat_"))
        .map(|m| m.key.to_owned())
        .collect();
    // B-4.1: a declared exemption waits for its proof; the part says why it is taxed.
    if service == Service::Water && facts.exemption_pending() {
        mentions.push(EXEMPTION_PENDING.to_owned());
    }
    let refusals = estimate
        .refusals
        .iter()
        .filter(|r| r.operator == operator)
        .map(|r| {
            let args = r
                .args
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect();
            super::refusal::Refusal::keyed(r.rule, r.reason_key, args)
        })
        .collect();
    Ok(PricedPart {
        lines,
        separately_quoted,
        mentions,
        refusals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::ElectricityBand, operators::tests::facts};

    #[test]
    fn each_service_gets_only_its_own_lines() {
        let mut house = facts();
        house.electricity_band = Some(ElectricityBand {
            phases: 3,
            amperes: 25,
        });
        let electricity = price(Tariffs::embedded(), Service::Electricity, &house, "5000").unwrap();
        assert!(!electricity.is_empty());
        assert!(electricity.iter().all(|l| l.code.starts_with("E-")));
        assert_eq!(electricity[0].rule, "V-4");
        let gas = price(Tariffs::embedded(), Service::Gas, &house, "5000").unwrap();
        assert!(gas.iter().all(|l| l.code.starts_with("G-")));
        let water = price(Tariffs::embedded(), Service::Water, &house, "5000").unwrap();
        assert!(water.iter().any(|l| l.rule.starts_with("B-")));
        let telecom = price(Tariffs::embedded(), Service::Proximus, &house, "5000").unwrap();
        assert!(
            telecom
                .iter()
                .all(|l| l.amount_excl_vat.is_zero() && l.rule == "C-5")
        );
    }

    #[test]
    fn v_5_a_part_after_the_last_book_is_unpriced_with_the_gap_not_priced_at_zero() {
        let mut late = facts();
        late.submitted_on = chrono::NaiveDate::from_ymd_opt(2028, 1, 4).unwrap();
        let tariffs = Tariffs::embedded();
        let error = price_part(tariffs, Service::Gas, &late, "5000").unwrap_err();
        let Unpriced::NoBookInForce(gap) = Unpriced::of(tariffs, &error) else {
            panic!("{error}");
        };
        assert_eq!(
            (gap.operator, gap.date),
            (Operator::Ores, late.submitted_on)
        );
        assert_eq!(gap.previous_book.unwrap().version, "ORES-2027-demo.1");
        // Stored with the answer and read back; an answer stored before has none.
        let stored = serde_json::to_string(&Unpriced::of(tariffs, &error)).unwrap();
        assert!(stored.starts_with(r#"{"kind":"no_book_in_force","operator":"ores""#));
        assert_eq!(
            serde_json::from_str::<Unpriced>(&stored).unwrap(),
            Unpriced::of(tariffs, &error)
        );
        assert_eq!(
            Unpriced::of(tariffs, &TariffError::NothingRequested),
            Unpriced::PricingFailed {
                detail: TariffError::NothingRequested.to_string()
            }
        );
    }

    #[test]
    fn v_5_a_date_before_every_book_is_refused_not_guessed() {
        let mut old = facts();
        old.submitted_on = chrono::NaiveDate::from_ymd_opt(1999, 1, 4).unwrap();
        assert!(matches!(
            price(Tariffs::embedded(), Service::Water, &old, "5000"),
            Err(TariffError::NoBookInForce { .. })
        ));
    }
}
