//! The servicing of land ("viabilisation") an applicant asks for with a request: what the
//! servicing engine needs from the form (V-2.1, V-4.1b, V-4.3), parsed once.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::InputError;
use serde::{Deserialize, Serialize};

use super::{
    CompanyNumber, PersonName, VatStatus,
    error::required_text,
    money::{Metres, Money},
};

/// The operation that makes the land need servicing (V-2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// (a) Division into two or more parcels, with or without permit.
    #[default]
    Division,
    /// (b) Division by donation, inheritance or an involuntary act (frontage per V-4.1c).
    Donation,
    /// (b) Grouped housing: a new building on a built parcel, grouped constructions, division of a
    /// dwelling building.
    GroupedHousing,
    /// Holiday park in a leisure zone with individual connections.
    HolidayPark,
    /// Industrial project: out of scope (V-2.1), refused.
    Industrial,
}

/// Promoters of social urbanisation projects (V-2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocialPromoter {
    /// Société wallonne du Logement.
    Swl,
    /// A public-service housing company.
    PublicHousingCompany,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CabinKind {
    /// A standard cabin on a plot of the land, leased to ORES.
    #[default]
    Standard,
    /// An indoor local in grouped housing (Y = the book's indoor price, S uncapped).
    IndoorLocal,
}

/// A cabin the servicing needs (V-9.2).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CabinCase {
    pub kind: CabinKind,
    /// S in m² per cabin; default 36 m² (standard) or 9.9 m² (indoor local).
    pub surface_m2: Option<Decimal>,
    /// PFext: existing supply points outside the land fed by the cabin.
    pub existing_points_outside: u32,
}

/// Work that the flat servicing rate does not cover (V-4.1d): quoted separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    OutsideHabitatZone,
    NonStandardCabin,
    NetworkMoveAfterWorks,
    ProvisionalOverhead,
}

/// A servicing case, as a web form fills it (every part has a default).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServicingCase {
    pub operation: Operation,
    /// V-4.1b: frontage of the land before division along existing or new roads.
    pub frontage_m: Metres,
    /// V-4.1c: for a donation-type division, the planned frontage of each parcel with a planned
    /// building.
    pub planned_frontages_m: Vec<Metres>,
    /// Parcels after division, or dwellings of grouped housing.
    pub parcels: u32,
    /// Set for a social project (V-2.4).
    pub social_promoter: Option<SocialPromoter>,
    /// V-4.2: the surcharge of the applicant's special demands (from ORES' study).
    pub special_demands_surcharge: Money,
    /// V-4.3: candelabras placed.
    pub candelabras: u32,
    /// V-4.3 (art. 4.3.1): light points added on existing poles or on the existing EP cable:
    /// quoted separately, never in the flat rate per candelabra.
    pub existing_pole_lights: u32,
    /// PFint: supply points on the land; default one per parcel (V-4.1a).
    pub supply_points: Option<u32>,
    pub cabin: Option<CabinCase>,
    /// V-6 (art. 6.3): the conditions of Decision T.5387 are met (network outside VAT scope).
    /// Never for grouped housing with later connections (art. 6.4): the engine ignores it there.
    pub t5387_conditions_met: bool,
    /// V-3.1: dossiers this applicant already opened for this land (then no new fee).
    pub earlier_dossiers_by_applicant: u32,
    /// V-3.1: the reference of the earlier request whose servicing offer already charged this
    /// applicant the dossier fee for this land (then no new fee; the line names it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier_dossier: Option<String>,
    /// V-3.1: the invoice that charged this request's dossier fee when it was filed (then the
    /// offer's fee line is 0 and names it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dossier_invoice: Option<DossierInvoiceRef>,
    /// V-7: servicing already done without a request or offer.
    pub without_request: bool,
    /// V-8: the phase this offer covers, when the project is phased.
    pub phase: Option<u32>,
    /// V-8.6: the land is under overhead lines.
    pub under_overhead_lines: bool,
    /// V-2.3: the payer's VAT status when it differs from the applicant's.
    pub payer_vat_status: Option<VatStatus>,
    pub excluded: Vec<Exclusion>,
}

/// Most parcels or dwellings a servicing request may describe (a larger project is studied by
/// ORES on its own).
pub const MAX_PARCELS: u32 = 500;
/// Most frontage the form accepts, in metres.
pub const MAX_FRONTAGE_M: u32 = 10_000;
/// Most candelabras the form accepts.
pub const MAX_CANDELABRAS: u32 = 1_000;
/// Most light points on existing poles or cable the form accepts (V-4.3).
pub const MAX_EXISTING_POLE_LIGHTS: u32 = 1_000;
/// Most supply points the form accepts (a larger project is studied by ORES on its own).
pub const MAX_SUPPLY_POINTS: u32 = 5_000;

/// The operations the request form offers (V-2.1). An industrial project is out of scope and
/// asked of ORES directly.
pub const FORM_OPERATIONS: [Operation; 4] = [
    Operation::Division,
    Operation::Donation,
    Operation::GroupedHousing,
    Operation::HolidayPark,
];

pub fn operation_code(operation: Operation) -> &'static str {
    match operation {
        Operation::Division => "division",
        Operation::Donation => "donation",
        Operation::GroupedHousing => "grouped_housing",
        Operation::HolidayPark => "holiday_park",
        Operation::Industrial => "industrial",
    }
}

fn parse_operation(raw: &str) -> Result<Operation, InputError> {
    match raw.trim() {
        "" => Err(InputError::Required),
        "industrial" => Err(InputError::ServicingIndustrial),
        code => FORM_OPERATIONS
            .into_iter()
            .find(|op| operation_code(*op) == code)
            .ok_or(InputError::Choice),
    }
}

/// The servicing part of a request, as the form typed it.
#[derive(Debug, Clone, Default)]
pub struct ServicingInput<'a> {
    pub operation: &'a str,
    pub frontage_m: &'a str,
    pub parcels: &'a str,
    pub candelabras: &'a str,
    /// V-4.1c: the frontage of each part where a new building is planned, for a donation-type
    /// division (`25; 12`).
    pub planned_frontages: &'a str,
    /// V-4.1a, V-9.2: supply points planned on the land; blank is one per lot.
    pub supply_points: &'a str,
    /// V-9.2: where a cabin would go: `standard` (a plot of the land), `indoor_local`, blank.
    pub cabin: &'a str,
    /// V-2.4: the social promoter carrying the project: `swl`, `public_housing_company`, blank.
    pub social: &'a str,
    /// V-6 (art. 6.3): `on` when the conditions of Decision T.5387 are met; blank otherwise.
    pub t5387: &'a str,
    /// V-4.3: light points added on existing poles or cable; blank is none.
    pub existing_pole_lights: &'a str,
}

impl ServicingInput<'_> {
    /// Nothing typed: no servicing asked.
    pub fn is_blank(&self) -> bool {
        [
            self.operation,
            self.frontage_m,
            self.parcels,
            self.candelabras,
            self.planned_frontages,
            self.supply_points,
            self.cabin,
            self.social,
            self.t5387,
            self.existing_pole_lights,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

/// What the applicant told about the servicing of the land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicingFacts {
    pub operation: Operation,
    /// V-4.1b: frontage of the land before division. For a donation-type division left blank,
    /// the planned parts' frontage: where the connections are planned (V-4.1b, second sentence).
    pub frontage: Metres,
    /// V-4.1c: a donation-type division's planned frontage per part with a new building; empty
    /// for the other operations.
    pub planned_frontages: Vec<Metres>,
    /// Parcels after division, or dwellings of grouped housing.
    pub parcels: u32,
    /// V-4.3: candelabras placed (0 when none).
    pub candelabras: u32,
    /// V-4.1a, V-9.2: supply points on the land when not one per lot.
    pub supply_points: Option<u32>,
    /// V-9.2: the applicant provides room for the cabins ORES needs: a plot or an indoor local.
    pub cabin: Option<CabinKind>,
    /// V-2.4: a social urbanisation project (no dossier fee, servicing free: V-3.2, V-4.2).
    pub social: Option<SocialPromoter>,
    /// V-6 (art. 6.3): the applicant says the conditions of Decision T.5387 are met (ORES
    /// checks it). Never with grouped housing (art. 6.4): the form refuses the combination.
    pub t5387: bool,
    /// V-4.3: light points added on existing poles or cable (quoted separately).
    pub existing_pole_lights: u32,
    /// What ORES' own study adds (network, cabin plot, special demands, exclusions).
    pub study: ServicingStudy,
    /// V-3.1: the earlier request of the same applicant for the same land whose servicing
    /// offer was sent, found by `services::assess`; `None` when this request opens the dossier.
    pub earlier_dossier: Option<String>,
    /// V-3.1: this request's own dossier-fee invoice, issued at filing, found by
    /// `services::assess`; `None` when none was issued.
    pub dossier_invoice: Option<DossierInvoiceRef>,
    /// V-2.3: who holds the obligation to pay the servicing when it is not the applicant.
    pub payer: Option<ServicingPayer>,
}

/// V-2.3 (art. 2.2): the holder of the obligation to pay the servicing ("titulaire de
/// l'obligation de paiement de la viabilisation"), when it is not the applicant who receives
/// the offer — whoever divided the land, a developer. The servicing document and the dossier
/// fee are addressed to it (art. 3, 6.1, 6.2, 6.4) and priced with its VAT position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicingPayer {
    pub name: PersonName,
    /// Postal address, one line, as the invoice is addressed.
    pub address: String,
    /// Private (no periodic VAT returns) or a VAT filer (network and lighting reverse
    /// charged, V-6). A VAT exemption (B-4.1) concerns water works, not ORES' servicing.
    pub vat: VatStatus,
    /// Required of a VAT filer: the number it self-assesses under.
    pub company_number: Option<CompanyNumber>,
}

/// The payer's fields as typed (`servicing_payer_*`); all blank when the applicant pays.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServicingPayerInput<'a> {
    pub name: &'a str,
    pub address: &'a str,
    /// Blank (private) or `vat_filer`.
    pub vat: &'a str,
    pub company_number: &'a str,
}

impl ServicingPayerInput<'_> {
    pub fn is_blank(&self) -> bool {
        [self.name, self.address, self.vat, self.company_number]
            .iter()
            .all(|field| field.trim().is_empty())
    }
}

/// Longest payer address the form accepts.
pub const MAX_PAYER_ADDRESS: usize = 300;

impl ServicingPayer {
    /// `None` when every field is blank (the applicant pays); otherwise every field checked,
    /// problems reported per field name (`servicing_payer_*`).
    pub fn parse(
        input: &ServicingPayerInput<'_>,
    ) -> Result<Option<Self>, Vec<(&'static str, InputError)>> {
        if input.is_blank() {
            return Ok(None);
        }
        let mut errors = Vec::new();
        let name = PersonName::parse(input.name)
            .map_err(|e| errors.push(("servicing_payer_name", e)))
            .ok();
        let address = required_text(input.address, MAX_PAYER_ADDRESS)
            .map_err(|e| errors.push(("servicing_payer_address", e)))
            .ok();
        let vat = match input.vat.trim() {
            "" | "private" => Some(VatStatus::Private),
            "vat_filer" => Some(VatStatus::VatFiler),
            _ => {
                errors.push(("servicing_payer_vat", InputError::Choice));
                None
            }
        };
        let company_number = match input.company_number.trim() {
            "" if vat == Some(VatStatus::VatFiler) => {
                errors.push((
                    "servicing_payer_company_number",
                    InputError::VatNumberRequired,
                ));
                None
            }
            "" => Some(None),
            raw => CompanyNumber::parse(raw)
                .map_err(|e| errors.push(("servicing_payer_company_number", e)))
                .ok()
                .map(Some),
        };
        match (name, address, vat, company_number) {
            (Some(name), Some(address), Some(vat), Some(company_number)) if errors.is_empty() => {
                Ok(Some(Self {
                    name,
                    address,
                    vat,
                    company_number,
                }))
            }
            _ => Err(errors),
        }
    }
}

/// V-3.1: the dossier-fee invoice issued when the request was filed: its number and date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DossierInvoiceRef {
    pub number: String,
    pub issued_on: NaiveDate,
}

/// ORES' study of the servicing: what only the network operator knows or decides.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServicingStudy {
    /// V-9.2 PFext: existing supply points outside the land the new cabins also feed.
    pub points_outside: u32,
    /// V-9.2 S: the cabin plot or local as measured, m²; the standard size when `None`.
    pub cabin_surface_m2: Option<Decimal>,
    /// V-4.2: the surcharge of the applicant's special demands, € excl. VAT.
    pub special_demands_surcharge: Decimal,
    /// V-4.1d: work the flat rate does not cover, quoted separately.
    pub excluded: Vec<Exclusion>,
    /// V-8.3: the lots after the applicant changed the project (e.g. two lots added).
    pub parcels: Option<u32>,
    /// V-8.3: when that change was recorded: the project is priced at the tariffs in force
    /// that day. The revised offer is the same dossier's offer and still carries its fee
    /// (art. 8.3 "sans préjudice de l'article 3.1").
    pub modified_on: Option<NaiveDate>,
    /// V-8.6: the land is under overhead lines: six more months of lead time for ORES' checks.
    pub under_overhead_lines: bool,
}

/// V-3.1: the applicant and the land a dossier fee is charged for: "si plusieurs demandes sont
/// introduites par le même demandeur pour un même terrain [...] ce montant ne sera facturé
/// qu'une seule fois", while several applicants for one land each pay it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierKey {
    applicant: String,
    land: String,
}

impl DossierKey {
    /// The applicant is its company number when it gave one (the same company filing from
    /// another mailbox), else its mailbox; the land is its cadastral reference when given,
    /// else its address, within its postcode. `None` when the land cannot be told apart
    /// (a map point only): the fee is then charged, as for a first dossier.
    pub fn of(
        company_number: Option<&str>,
        email: &str,
        parcel_ref: Option<&str>,
        street: Option<&str>,
        house_number: Option<&str>,
        postcode: &str,
    ) -> Option<Self> {
        let applicant = match company_number.map(super::company::CompanyNumber::parse) {
            Some(Ok(number)) => format!("bce:{}", number.digits()),
            _ => format!("mail:{}", super::contact::mailbox_key(email)),
        };
        let parcel = parcel_ref.map(squeeze).filter(|p| !p.is_empty());
        let address = match (street.map(squeeze), house_number.map(squeeze)) {
            (Some(street), Some(number)) if !street.is_empty() && !number.is_empty() => {
                Some(format!("{street}/{number}"))
            }
            _ => None,
        };
        let land = match (parcel, address) {
            (Some(parcel), _) => format!("{}:parcel:{parcel}", postcode.trim()),
            (None, Some(address)) => format!("{}:address:{address}", postcode.trim()),
            (None, None) => return None,
        };
        Some(Self { applicant, land })
    }
}

/// Letters and digits only, lower-cased: `Tournai 5e div., section B, 412C` and
/// `tournai 5e div section b 412 c` name the same parcel.
fn squeeze(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The study form as typed.
#[derive(Debug, Clone, Default)]
pub struct StudyInput<'a> {
    pub points_outside: &'a str,
    pub cabin_surface_m2: &'a str,
    pub surcharge: &'a str,
    pub exclusions: &'a [String],
    /// Lots after a change; blank keeps the lots of the request.
    pub parcels: &'a str,
    /// V-8.6: the overhead-lines box was ticked.
    pub under_overhead_lines: bool,
}

/// Most existing supply points outside the land a cabin can feed.
pub const MAX_POINTS_OUTSIDE: u32 = 1_000;
/// Largest cabin plot or local, m² (the standard plot is 36 m²).
pub const MAX_CABIN_SURFACE_M2: u32 = 500;
/// Largest special-demands surcharge, € (anything larger is an offer of its own).
pub const MAX_SURCHARGE_EUR: u32 = 1_000_000;

pub fn exclusion_code(exclusion: Exclusion) -> &'static str {
    match exclusion {
        Exclusion::OutsideHabitatZone => "outside_habitat_zone",
        Exclusion::NonStandardCabin => "non_standard_cabin",
        Exclusion::NetworkMoveAfterWorks => "network_move",
        Exclusion::ProvisionalOverhead => "provisional_overhead",
    }
}

pub const EXCLUSIONS: [Exclusion; 4] = [
    Exclusion::OutsideHabitatZone,
    Exclusion::NonStandardCabin,
    Exclusion::NetworkMoveAfterWorks,
    Exclusion::ProvisionalOverhead,
];

/// A decimal as typed (decimal comma accepted), from 0 to `max`, at most 2 decimals.
pub(crate) fn parse_amount(raw: &str, max: u32) -> Result<Decimal, InputError> {
    let value = Decimal::from_str(&raw.trim().replace(',', ".")).map_err(|_| InputError::Number)?;
    if value.is_sign_negative() || value.scale() > 2 {
        return Err(InputError::Number);
    }
    if value > Decimal::from(max) {
        return Err(InputError::TooLarge {
            max: max.to_string(),
        });
    }
    Ok(value)
}

impl ServicingStudy {
    /// Every field checked; problems are reported per field name (`study_*`).
    pub fn parse(input: &StudyInput<'_>) -> Result<Self, Vec<(&'static str, InputError)>> {
        let mut errors = Vec::new();
        let points_outside = match input.points_outside.trim() {
            "" => Ok(0),
            raw => parse_count(raw, MAX_POINTS_OUTSIDE),
        }
        .map_err(|e| errors.push(("study_points_outside", e)))
        .ok();
        let cabin_surface_m2 = match input.cabin_surface_m2.trim() {
            "" => Ok(None),
            raw => parse_amount(raw, MAX_CABIN_SURFACE_M2).and_then(|m2| {
                if m2.is_zero() {
                    Err(InputError::Number)
                } else {
                    Ok(Some(m2))
                }
            }),
        }
        .map_err(|e| errors.push(("study_cabin_surface_m2", e)))
        .ok();
        let surcharge = match input.surcharge.trim() {
            "" => Ok(Decimal::ZERO),
            raw => parse_amount(raw, MAX_SURCHARGE_EUR),
        }
        .map_err(|e| errors.push(("study_surcharge", e)))
        .ok();
        let parcels = match input.parcels.trim() {
            "" => Ok(None),
            raw => parse_count(raw, MAX_PARCELS).map(Some),
        }
        .map_err(|e| errors.push(("study_parcels", e)))
        .ok();
        let mut excluded = Vec::new();
        for code in input.exclusions {
            match EXCLUSIONS.into_iter().find(|e| exclusion_code(*e) == code) {
                Some(exclusion) if !excluded.contains(&exclusion) => excluded.push(exclusion),
                Some(_) => {}
                None => errors.push(("study_exclusions", InputError::Choice)),
            }
        }
        match (points_outside, cabin_surface_m2, surcharge, parcels) {
            (
                Some(points_outside),
                Some(cabin_surface_m2),
                Some(special_demands_surcharge),
                Some(parcels),
            ) if errors.is_empty() => Ok(ServicingStudy {
                points_outside,
                cabin_surface_m2,
                special_demands_surcharge,
                excluded,
                parcels,
                modified_on: None,
                under_overhead_lines: input.under_overhead_lines,
            }),
            _ => Err(errors),
        }
    }
}

/// A metre length as typed: a decimal comma is accepted (`42,5`).
pub fn parse_metres(raw: &str) -> Result<Metres, InputError> {
    let text = raw.trim().replace(',', ".");
    if text.is_empty() {
        return Err(InputError::Required);
    }
    let value = Decimal::from_str(&text).map_err(|_| InputError::Metres)?;
    if value <= Decimal::ZERO || value > Decimal::from(MAX_FRONTAGE_M) || value.scale() > 2 {
        return Err(InputError::Metres);
    }
    Metres::new(value).map_err(|_| InputError::Metres)
}

/// Separates the planned frontages: `;`, `+` or new lines (a comma is a decimal comma).
const PLANNED_SEPARATORS: [char; 4] = [';', '+', '\n', '\r'];

/// V-4.1c: the planned frontages as typed (`25; 12`, `25 m + 12,5 m`), at least one.
pub fn parse_planned_frontages(raw: &str) -> Result<Vec<Metres>, InputError> {
    let parts: Vec<&str> = raw
        .split(PLANNED_SEPARATORS)
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    if parts.is_empty() {
        return Err(InputError::PlannedFrontagesRequired);
    }
    parts
        .into_iter()
        .map(|part| {
            let number = part.strip_suffix('m').unwrap_or(part);
            parse_metres(number).map_err(|_| InputError::PlannedFrontages)
        })
        .collect()
}

/// The planned frontages as stored: `25;12.5`.
pub fn planned_frontages_text(planned: &[Metres]) -> String {
    planned
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(";")
}

pub fn cabin_code(kind: CabinKind) -> &'static str {
    match kind {
        CabinKind::Standard => "standard",
        CabinKind::IndoorLocal => "indoor_local",
    }
}

pub fn parse_cabin(raw: &str) -> Result<Option<CabinKind>, InputError> {
    match raw.trim() {
        "" => Ok(None),
        "standard" => Ok(Some(CabinKind::Standard)),
        "indoor_local" => Ok(Some(CabinKind::IndoorLocal)),
        _ => Err(InputError::Choice),
    }
}

pub fn social_code(promoter: SocialPromoter) -> &'static str {
    match promoter {
        SocialPromoter::Swl => "swl",
        SocialPromoter::PublicHousingCompany => "public_housing_company",
    }
}

pub fn parse_social(raw: &str) -> Result<Option<SocialPromoter>, InputError> {
    match raw.trim() {
        "" => Ok(None),
        "swl" => Ok(Some(SocialPromoter::Swl)),
        "public_housing_company" => Ok(Some(SocialPromoter::PublicHousingCompany)),
        _ => Err(InputError::Choice),
    }
}

/// A checkbox as posted: `on` when ticked, nothing otherwise.
fn parse_tick(raw: &str) -> Result<bool, InputError> {
    match raw.trim() {
        "" => Ok(false),
        "on" => Ok(true),
        _ => Err(InputError::Choice),
    }
}

fn parse_count(raw: &str, max: u32) -> Result<u32, InputError> {
    let count: u32 = raw.trim().parse().map_err(|_| InputError::Number)?;
    if count > max {
        return Err(InputError::TooLarge {
            max: max.to_string(),
        });
    }
    Ok(count)
}

impl ServicingFacts {
    /// Every field checked; problems are reported per field name (`servicing_*`).
    pub fn parse(input: &ServicingInput<'_>) -> Result<Self, Vec<(&'static str, InputError)>> {
        let mut errors = Vec::new();
        let mut keep = |field: &'static str, error: InputError| errors.push((field, error));
        let operation = parse_operation(input.operation)
            .map_err(|e| keep("servicing_operation", e))
            .ok();
        let donation = operation == Some(Operation::Donation);
        let planned = match (donation, input.planned_frontages.trim()) {
            (false, "") => Ok(Vec::new()),
            (false, _) => Err(InputError::PlannedFrontagesOnlyDonation),
            (true, raw) => parse_planned_frontages(raw),
        }
        .map_err(|e| keep("servicing_planned_frontages", e))
        .ok();
        let frontage = if donation && input.frontage_m.trim().is_empty() {
            // V-4.1c prices the planned parts only; heirs may not know the whole frontage.
            // Without valid planned frontages the refusal is already said there.
            match &planned {
                Some(parts) => {
                    let total = super::money::sum(parts.iter().map(|m| m.value()))
                        .ok()
                        .and_then(|total| Metres::new(total).ok());
                    if total.is_none() {
                        keep(
                            "servicing_planned_frontages",
                            InputError::PlannedFrontagesTotal {
                                max: Metres::MAX_WHOLE,
                            },
                        );
                    }
                    total
                }
                None => None,
            }
        } else {
            parse_metres(input.frontage_m)
                .map_err(|e| keep("servicing_frontage_m", e))
                .ok()
        };
        let parcels = match input.parcels.trim() {
            "" => Err(InputError::Required),
            raw => parse_count(raw, MAX_PARCELS),
        }
        .map_err(|e| keep("servicing_parcels", e))
        .ok();
        let candelabras = match input.candelabras.trim() {
            "" => Ok(0),
            raw => parse_count(raw, MAX_CANDELABRAS),
        }
        .map_err(|e| keep("servicing_candelabras", e))
        .ok();
        let supply_points = match input.supply_points.trim() {
            "" => Ok(None),
            raw => match parse_count(raw, MAX_SUPPLY_POINTS) {
                Ok(0) => Err(InputError::Number),
                other => other.map(Some),
            },
        }
        .map_err(|e| keep("servicing_supply_points", e))
        .ok();
        let cabin = parse_cabin(input.cabin)
            .map_err(|e| keep("servicing_cabin", e))
            .ok();
        let social = parse_social(input.social)
            .map_err(|e| keep("servicing_social", e))
            .ok();
        let t5387 = parse_tick(input.t5387)
            .map_err(|e| keep("servicing_t5387", e))
            .ok();
        let existing_pole_lights = match input.existing_pole_lights.trim() {
            "" => Ok(0),
            raw => parse_count(raw, MAX_EXISTING_POLE_LIGHTS),
        }
        .map_err(|e| keep("servicing_existing_pole_lights", e))
        .ok();
        // V-6 (art. 6.4): a network for grouped housing with later connections is never
        // outside the scope of VAT, whatever Decision T.5387 says.
        if operation == Some(Operation::GroupedHousing) && t5387 == Some(true) {
            errors.push(("servicing_t5387", InputError::T5387GroupedHousing));
        }
        // V-2.1: a division, by sale or by donation, makes at least two parcels.
        if let (Some(Operation::Division | Operation::Donation), Some(n)) = (operation, parcels)
            && n < 2
        {
            errors.push(("servicing_parcels", InputError::ServicingParcels));
        }
        // V-4.1c: the planned parts are among the resulting parcels.
        if let (Some(planned), Some(n)) = (&planned, parcels)
            && n >= 2
            && planned.len() > n as usize
        {
            errors.push((
                "servicing_planned_frontages",
                InputError::PlannedFrontagesTooMany { parcels: n },
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        match (
            operation,
            frontage,
            planned,
            parcels,
            candelabras,
            supply_points,
            cabin,
            social,
            t5387,
            existing_pole_lights,
        ) {
            (
                Some(operation),
                Some(frontage),
                Some(planned_frontages),
                Some(parcels),
                Some(candelabras),
                Some(supply_points),
                Some(cabin),
                Some(social),
                Some(t5387),
                Some(existing_pole_lights),
            ) => Ok(ServicingFacts {
                operation,
                frontage,
                planned_frontages,
                parcels,
                candelabras,
                supply_points,
                cabin,
                social,
                t5387,
                existing_pole_lights,
                study: ServicingStudy::default(),
                earlier_dossier: None,
                dossier_invoice: None,
                payer: None,
            }),
            _ => Err(errors),
        }
    }

    /// The lots priced: after the applicant's change, if any (V-8.3).
    pub fn lots(&self) -> u32 {
        self.study.parcels.unwrap_or(self.parcels)
    }

    /// The case the servicing engine prices (everything the form does not ask at its default).
    pub fn case(&self) -> ServicingCase {
        ServicingCase {
            operation: self.operation,
            frontage_m: self.frontage,
            planned_frontages_m: self.planned_frontages.clone(),
            parcels: self.lots(),
            candelabras: self.candelabras,
            existing_pole_lights: self.existing_pole_lights,
            supply_points: self.supply_points,
            t5387_conditions_met: self.t5387,
            // V-3.1: a change of lots on this request (V-8.3) is a revised offer of the same
            // dossier, never a waiver of its fee: only an earlier request's dossier waives it.
            earlier_dossier: self.earlier_dossier.clone(),
            // V-3.1: the fee invoiced at filing is not charged again, revised offer or not.
            dossier_invoice: self.dossier_invoice.clone(),
            under_overhead_lines: self.study.under_overhead_lines,
            cabin: self.cabin.map(|kind| CabinCase {
                kind,
                surface_m2: self.study.cabin_surface_m2,
                existing_points_outside: self.study.points_outside,
            }),
            social_promoter: self.social,
            special_demands_surcharge: Money::from_decimal(self.study.special_demands_surcharge),
            excluded: self.study.excluded.clone(),
            // V-2.3: the servicing is priced for whoever pays it.
            payer_vat_status: self.payer.as_ref().map(|payer| payer.vat),
            ..ServicingCase::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(operation: &'a str, frontage: &'a str, parcels: &'a str) -> ServicingInput<'a> {
        ServicingInput {
            operation,
            frontage_m: frontage,
            parcels,
            candelabras: "",
            planned_frontages: "",
            supply_points: "",
            cabin: "",
            social: "",
            t5387: "",
            existing_pole_lights: "",
        }
    }

    #[test]
    fn a_division_parses_with_a_decimal_comma() {
        let facts = ServicingFacts::parse(&input("division", "42,5", "3")).unwrap();
        assert_eq!(facts.operation, Operation::Division);
        assert_eq!(facts.frontage.value(), Decimal::new(425, 1));
        assert_eq!(facts.parcels, 3);
        assert_eq!(facts.candelabras, 0);
    }

    #[test]
    fn planned_frontages_beyond_the_longest_frontage_in_all_are_refused_not_dropped() {
        let mut donation = input("donation", "", "3");
        donation.planned_frontages = "6000; 4000,01";
        let errors = ServicingFacts::parse(&donation).unwrap_err();
        assert_eq!(
            errors,
            [(
                "servicing_planned_frontages",
                InputError::PlannedFrontagesTotal { max: 10_000 }
            )]
        );
        donation.planned_frontages = "6000; 4000";
        let facts = ServicingFacts::parse(&donation).unwrap();
        assert_eq!(facts.frontage, Metres::MAX);
    }

    #[test]
    fn counts_beyond_the_form_bounds_say_the_bound() {
        let mut many = input("division", "40", "501");
        many.candelabras = "1001";
        let errors = ServicingFacts::parse(&many).unwrap_err();
        assert_eq!(
            errors,
            [
                (
                    "servicing_parcels",
                    InputError::TooLarge { max: "500".into() }
                ),
                (
                    "servicing_candelabras",
                    InputError::TooLarge { max: "1000".into() }
                ),
            ]
        );
    }

    #[test]
    fn bad_frontages_are_refused() {
        for bad in ["-3", "0", "abc", "12.345", "20000"] {
            let errors = ServicingFacts::parse(&input("division", bad, "3")).unwrap_err();
            assert_eq!(
                errors,
                [("servicing_frontage_m", InputError::Metres)],
                "{bad}"
            );
        }
    }

    #[test]
    fn v_2_1_a_division_makes_two_parcels_and_industry_is_out_of_scope() {
        let errors = ServicingFacts::parse(&input("division", "30", "1")).unwrap_err();
        assert_eq!(
            errors,
            [("servicing_parcels", InputError::ServicingParcels)]
        );
        let errors = ServicingFacts::parse(&input("industrial", "30", "4")).unwrap_err();
        assert_eq!(
            errors,
            [("servicing_operation", InputError::ServicingIndustrial)]
        );
        // Grouped housing on one parcel is fine.
        assert!(ServicingFacts::parse(&input("grouped_housing", "30", "1")).is_ok());
    }

    fn donation<'a>(frontage: &'a str, parcels: &'a str, planned: &'a str) -> ServicingInput<'a> {
        ServicingInput {
            planned_frontages: planned,
            ..input("donation", frontage, parcels)
        }
    }

    fn m(value: i64) -> Metres {
        Metres::new(Decimal::from(value)).unwrap()
    }

    #[test]
    fn v_4_1c_a_donation_takes_the_planned_frontages_and_the_whole_frontage_may_stay_blank() {
        // Journey 5: three heirs, new houses planned on two parts of 25 m and 12 m.
        let facts = ServicingFacts::parse(&donation("", "3", "25 ; 12")).unwrap();
        assert_eq!(facts.operation, Operation::Donation);
        assert_eq!(facts.planned_frontages, vec![m(25), m(12)]);
        assert_eq!(facts.frontage, m(37));
        assert_eq!(facts.case().planned_frontages_m, vec![m(25), m(12)]);
        // Units, decimal commas, `+` and new lines are understood; the whole frontage kept.
        let facts = ServicingFacts::parse(&donation("60", "3", "25 m + 12,5 m\n8")).unwrap();
        assert_eq!(facts.frontage, m(60));
        assert_eq!(
            facts.planned_frontages,
            vec![m(25), Metres::new(Decimal::new(125, 1)).unwrap(), m(8)]
        );
        assert_eq!(
            planned_frontages_text(&facts.planned_frontages),
            "25;12.5;8"
        );
        assert_eq!(
            parse_planned_frontages("25;12.5;8").unwrap(),
            facts.planned_frontages
        );
    }

    #[test]
    fn v_4_1c_bad_planned_frontages_are_refused_on_their_field() {
        let refused = |i: ServicingInput<'_>| ServicingFacts::parse(&i).unwrap_err();
        assert_eq!(
            refused(donation("", "3", "")),
            [(
                "servicing_planned_frontages",
                InputError::PlannedFrontagesRequired
            )]
        );
        assert_eq!(
            refused(donation("", "3", "25, 12")),
            [("servicing_planned_frontages", InputError::PlannedFrontages)],
            "a comma is a decimal comma: 25,12 m is one length, but `25, 12` is not"
        );
        assert_eq!(
            refused(donation("", "2", "25; 12; 8")),
            [(
                "servicing_planned_frontages",
                InputError::PlannedFrontagesTooMany { parcels: 2 }
            )]
        );
        assert_eq!(
            refused(donation("", "1", "25")),
            [("servicing_parcels", InputError::ServicingParcels)]
        );
        let division = ServicingInput {
            planned_frontages: "25",
            ..input("division", "40", "3")
        };
        assert_eq!(
            refused(division),
            [(
                "servicing_planned_frontages",
                InputError::PlannedFrontagesOnlyDonation
            )]
        );
    }

    #[test]
    fn v_9_2_the_study_feeds_the_cabin_the_surcharge_and_the_exclusions() {
        let exclusions = [
            "non_standard_cabin".to_owned(),
            "non_standard_cabin".to_owned(),
        ];
        let study = ServicingStudy::parse(&StudyInput {
            points_outside: "20",
            cabin_surface_m2: "30,5",
            surcharge: "1250",
            exclusions: &exclusions,
            parcels: "",
            under_overhead_lines: false,
        })
        .unwrap();
        assert_eq!(study.excluded, vec![Exclusion::NonStandardCabin]);
        let mut facts = ServicingFacts::parse(&ServicingInput {
            cabin: "standard",
            ..input("division", "120", "6")
        })
        .unwrap();
        facts.study = study;
        let case = facts.case();
        let cabin = case.cabin.unwrap();
        assert_eq!(cabin.existing_points_outside, 20);
        assert_eq!(cabin.surface_m2, Some(Decimal::new(305, 1)));
        assert_eq!(case.special_demands_surcharge.amount(), Decimal::from(1250));
        assert_eq!(case.excluded, vec![Exclusion::NonStandardCabin]);
        // Blank is nothing found; each bad field is named.
        assert_eq!(
            ServicingStudy::parse(&StudyInput::default()).unwrap(),
            ServicingStudy::default()
        );
        let bad = ["everywhere".to_owned()];
        let errors = ServicingStudy::parse(&StudyInput {
            points_outside: "-1",
            cabin_surface_m2: "0",
            surcharge: "12.345",
            exclusions: &bad,
            parcels: "",
            under_overhead_lines: false,
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "study_points_outside",
                "study_cabin_surface_m2",
                "study_surcharge",
                "study_exclusions"
            ]
        );
    }

    #[test]
    fn v_3_1_one_dossier_per_applicant_and_land_whatever_the_spelling() {
        let developer = |email: &str, parcel: &str| {
            DossierKey::of(
                Some("0202.239.951"),
                email,
                Some(parcel),
                None,
                None,
                "7500",
            )
        };
        let first = developer("promoteur@habitat.be", "Tournai 5e div., section B, 412C");
        assert!(first.is_some());
        // The same company from another mailbox, the parcel spelt differently: same dossier.
        assert_eq!(
            developer("compta@habitat.be", "tournai 5e div section b 412 c"),
            first
        );
        // Another parcel, or another applicant for the same land: another dossier.
        assert_ne!(
            developer("promoteur@habitat.be", "Tournai 5e div., section B, 413"),
            first
        );
        let person = |email: &str| {
            DossierKey::of(
                None,
                email,
                Some("Tournai 5e div., section B, 412C"),
                None,
                None,
                "7500",
            )
        };
        assert_ne!(person("marie@example.be"), first);
        // A person is their mailbox (case and +tags aside).
        assert_eq!(person("Marie+lots@Example.be"), person("marie@example.be"));
        // Without a parcel, the address; without either, no dossier to find.
        let by_address = |n: &str| {
            DossierKey::of(
                None,
                "marie@example.be",
                None,
                Some("Rue Haute"),
                Some(n),
                "5000",
            )
        };
        assert_eq!(by_address("12"), by_address(" 12 "));
        assert_ne!(by_address("12"), by_address("14"));
        assert_eq!(
            DossierKey::of(None, "marie@example.be", None, None, None, "5000"),
            None
        );
    }

    #[test]
    fn v_6_t5387_is_asked_and_refused_with_grouped_housing() {
        let ticked = |operation: &'static str| ServicingInput {
            t5387: "on",
            ..input(operation, "40", "3")
        };
        let facts = ServicingFacts::parse(&ticked("division")).unwrap();
        assert!(facts.t5387);
        assert!(facts.case().t5387_conditions_met);
        assert!(
            !ServicingFacts::parse(&input("division", "40", "3"))
                .unwrap()
                .t5387
        );
        // Art. 6.4: grouped housing with later connections is never outside VAT.
        assert_eq!(
            ServicingFacts::parse(&ticked("grouped_housing")).unwrap_err(),
            [("servicing_t5387", InputError::T5387GroupedHousing)]
        );
        let odd = ServicingInput {
            t5387: "yes please",
            ..input("division", "40", "3")
        };
        assert_eq!(
            ServicingFacts::parse(&odd).unwrap_err(),
            [("servicing_t5387", InputError::Choice)]
        );
    }

    #[test]
    fn v_4_3_lights_on_existing_poles_are_a_whole_count_apart_from_candelabras() {
        let lights = |count: &'static str| ServicingInput {
            candelabras: "2",
            existing_pole_lights: count,
            ..input("division", "40", "3")
        };
        let facts = ServicingFacts::parse(&lights("3")).unwrap();
        assert_eq!((facts.candelabras, facts.existing_pole_lights), (2, 3));
        assert_eq!(facts.case().existing_pole_lights, 3);
        assert_eq!(facts.case().candelabras, 2);
        assert_eq!(
            ServicingFacts::parse(&lights(""))
                .unwrap()
                .existing_pole_lights,
            0
        );
        for bad in ["2,5", "-1", "trois"] {
            assert_eq!(
                ServicingFacts::parse(&lights(bad)).unwrap_err(),
                [("servicing_existing_pole_lights", InputError::Number)],
                "{bad}"
            );
        }
        assert_eq!(
            ServicingFacts::parse(&lights("1001")).unwrap_err(),
            [(
                "servicing_existing_pole_lights",
                InputError::TooLarge { max: "1000".into() }
            )]
        );
    }

    #[test]
    fn blank_means_no_servicing() {
        assert!(input("", " ", "").is_blank());
        assert!(!input("division", "", "").is_blank());
    }
}
