//! The "Connect my home" request: what a citizen files (rule C-1) and its life cycle.

use std::{fmt, str::FromStr};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{
    CompanyNumber, EmailAddress, FieldErrors, InputError, Language, PersonName, PhoneNumber,
    error::optional_text,
    geo::{Commune, MapPoint, Postcode, PostcodeDirectory},
    servicing::{ServicingFacts, ServicingInput, ServicingPayer, ServicingPayerInput},
    survey::WaterWork,
};

/// Most dwellings a building may have to use the joint procedure (rule C-1).
pub const MAX_DWELLINGS: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Electricity,
    Gas,
    Water,
    Proximus,
    Voo,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::Electricity,
        Service::Gas,
        Service::Water,
        Service::Proximus,
        Service::Voo,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Electricity => "electricity",
            Self::Gas => "gas",
            Self::Water => "water",
            Self::Proximus => "proximus",
            Self::Voo => "voo",
        }
    }
}

impl FromStr for Service {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Service::ALL
            .into_iter()
            .find(|service| service.code() == s)
            .ok_or(InputError::Choice)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A service by the code organisations, assessments, crews and reservations store: one of the
/// five operators' (`electricity`) or a partner's own (`heat`, rule C-8). The joint day
/// (C-4) brings every one of them, so scheduling speaks in codes, not in [`Service`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceCode(String);

impl ServiceCode {
    pub fn parse(code: &str) -> Result<Self, InputError> {
        if is_service_code(code) {
            Ok(Self(code.to_owned()))
        } else {
            Err(InputError::Choice)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The operator's service, `None` for a partner's.
    pub fn service(&self) -> Option<Service> {
        self.0.parse().ok()
    }
}

impl From<Service> for ServiceCode {
    fn from(service: Service) -> Self {
        Self(service.code().to_owned())
    }
}

impl TryFrom<String> for ServiceCode {
    type Error = InputError;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::parse(&code)
    }
}

impl From<ServiceCode> for String {
    fn from(code: ServiceCode) -> Self {
        code.0
    }
}

impl FromStr for ServiceCode {
    type Err = InputError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::parse(code)
    }
}

impl fmt::Display for ServiceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<Service> for ServiceCode {
    fn eq(&self, other: &Service) -> bool {
        self.0 == other.code()
    }
}

/// A low-voltage connection band: phases and ampere rating (ORES flat-rate bands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ElectricityBand {
    pub phases: u8,
    pub amperes: u16,
}

impl ElectricityBand {
    pub const SINGLE_PHASE_AMPERES: [u16; 5] = [25, 32, 40, 50, 63];
    pub const THREE_PHASE_AMPERES: [u16; 7] = [16, 20, 25, 32, 40, 50, 63];

    pub fn all() -> Vec<ElectricityBand> {
        let single =
            Self::SINGLE_PHASE_AMPERES.map(|amperes| ElectricityBand { phases: 1, amperes });
        let three = Self::THREE_PHASE_AMPERES.map(|amperes| ElectricityBand { phases: 3, amperes });
        single.into_iter().chain(three).collect()
    }

    /// Parses the form code `1x40` or `3x25`.
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let (phases, amperes) = raw.trim().split_once('x').ok_or(InputError::Choice)?;
        let band = ElectricityBand {
            phases: phases.parse().map_err(|_| InputError::Choice)?,
            amperes: amperes.parse().map_err(|_| InputError::Choice)?,
        };
        if Self::all().contains(&band) {
            Ok(band)
        } else {
            Err(InputError::Choice)
        }
    }

    pub fn code(self) -> String {
        format!("{}x{}", self.phases, self.amperes)
    }

    /// Apparent power in kVA, one decimal: 230 V single-phase, 3N400 V three-phase.
    pub fn kva(self) -> f64 {
        let volt_amperes = match self.phases {
            1 => 230.0 * f64::from(self.amperes),
            _ => 3f64.sqrt() * 400.0 * f64::from(self.amperes),
        };
        (volt_amperes / 100.0).round() / 10.0
    }

    /// Human label, e.g. "3 × 25 A (17.3 kVA)".
    pub fn label(self) -> String {
        match self.phases {
            1 => format!("1 × {} A ({:.1} kVA)", self.amperes, self.kva()),
            _ => format!("3 × {} A ({:.1} kVA)", self.amperes, self.kva()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicantKind {
    Natural,
    Legal,
}

impl ApplicantKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Natural => "natural",
            Self::Legal => "legal",
        }
    }
}

impl FromStr for ApplicantKind {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "natural" => Ok(Self::Natural),
            "legal" => Ok(Self::Legal),
            _ => Err(InputError::Choice),
        }
    }
}

/// What is built: a house, or a building of 2 to 4 dwellings (rule C-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Building {
    House,
    Apartments { dwellings: u32 },
}

impl Building {
    /// Rule C-1: more than 4 dwellings leave the joint procedure.
    pub fn parse(kind: &str, dwellings: &str) -> Result<Self, InputError> {
        match kind.trim() {
            "house" => Ok(Self::House),
            "building" => {
                let count: u32 = dwellings
                    .trim()
                    .parse()
                    .map_err(|_| match dwellings.trim() {
                        "" => InputError::Required,
                        _ => InputError::Number,
                    })?;
                match count {
                    0 | 1 => Err(InputError::DwellingsRange),
                    2..=MAX_DWELLINGS => Ok(Self::Apartments { dwellings: count }),
                    _ => Err(InputError::TooManyDwellings { count }),
                }
            }
            "" => Err(InputError::Required),
            _ => Err(InputError::Choice),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::House => "house",
            Self::Apartments { .. } => "building",
        }
    }

    pub fn dwellings(self) -> u32 {
        match self {
            Self::House => 1,
            Self::Apartments { dwellings } => dwellings,
        }
    }
}

/// The home the connections are for: a new build, or an existing dwelling and the year it
/// was first occupied ("qu'elle soit nouvelle ou existante").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dwelling {
    #[default]
    New,
    Existing {
        first_occupied: i32,
    },
}

/// The oldest year of first occupation the form accepts.
pub const OLDEST_FIRST_OCCUPATION: i32 = 1800;

impl Dwelling {
    /// `new` or `existing` with its 4-digit year, not later than this year; the refused field
    /// is named.
    pub fn parse(
        kind: &str,
        year: &str,
        today: NaiveDate,
    ) -> Result<Self, (&'static str, InputError)> {
        match kind.trim() {
            "" | "new" => Ok(Self::New),
            "existing" => {
                let field = "dwelling_first_occupied_year";
                let year = year.trim();
                let first_occupied: i32 = (year.len() == 4)
                    .then(|| year.parse().ok())
                    .flatten()
                    .filter(|y| *y >= OLDEST_FIRST_OCCUPATION)
                    .ok_or((field, InputError::FirstOccupiedYear))?;
                if first_occupied > today.year() {
                    return Err((
                        field,
                        InputError::FirstOccupiedFuture { year: today.year() },
                    ));
                }
                Ok(Self::Existing { first_occupied })
            }
            _ => Err(("dwelling", InputError::Choice)),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Existing { .. } => "existing",
        }
    }

    pub fn first_occupied(self) -> Option<i32> {
        match self {
            Self::New => None,
            Self::Existing { first_occupied } => Some(first_occupied),
        }
    }

    /// Whole years of occupation on `day`, `None` for a new build. Only the year is asked, so
    /// the years are counted from its last day: the 6% rate for dwellings of 10 years or more
    /// is never applied to one that might be younger (the applicant's declaration confirms it).
    pub fn age_on(self, day: NaiveDate) -> Option<u32> {
        let first_occupied = self.first_occupied()?;
        let Some(end_of_year) = NaiveDate::from_ymd_opt(first_occupied, 12, 31) else {
            return Some(0);
        };
        Some(day.years_since(end_of_year).unwrap_or(0))
    }
}

/// The form as typed, every field text, so a refused form can be shown again unchanged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestInput {
    pub applicant_kind: String,
    pub name: String,
    pub company_number: String,
    pub email: String,
    pub phone: String,
    pub language: String,
    pub street: String,
    pub house_number: String,
    pub postcode: String,
    pub locality: String,
    pub map_point: String,
    pub parcel_ref: String,
    pub building: String,
    pub dwellings: String,
    pub electricity: Option<String>,
    pub electricity_band: String,
    pub gas: Option<String>,
    pub water: Option<String>,
    pub proximus: Option<String>,
    pub voo: Option<String>,
    /// Services of partners joined by configuration (rule C-8), by service code.
    #[serde(deserialize_with = "one_or_many")]
    pub partner: Vec<String>,
    pub wished_from: String,
    pub wished_to: String,
    pub remarks: String,
    /// Servicing of the land (V-2.1): all empty when none is asked.
    pub servicing_operation: String,
    pub servicing_frontage_m: String,
    pub servicing_parcels: String,
    pub servicing_candelabras: String,
    pub servicing_planned_frontages: String,
    pub servicing_supply_points: String,
    pub servicing_cabin: String,
    pub servicing_social: String,
    /// V-6 (art. 6.3): `on` when the conditions of Decision T.5387 are met.
    pub servicing_t5387: String,
    /// V-4.3: light points added on existing poles or cable; blank is none.
    pub servicing_existing_pole_lights: String,
    /// V-2.3: who pays the servicing, when not the applicant (all blank: the applicant).
    pub servicing_payer_name: String,
    pub servicing_payer_address: String,
    /// Blank (no periodic VAT returns) or `vat_filer`.
    pub servicing_payer_vat: String,
    pub servicing_payer_company_number: String,
    /// The payer's VAT position, for natural and legal persons alike: blank (a private person
    /// or a body filing no VAT returns), `vat_filer` (periodic returns: reverse charge) or
    /// `exempt` (B-4.1: applied once the proof is received).
    pub vat: String,
    /// `new` (default) or `existing` ("qu'elle soit nouvelle ou existante").
    pub dwelling: String,
    /// For an existing dwelling: the year it was first occupied (6% VAT from 10 years).
    pub dwelling_first_occupied_year: String,
    /// For a power increase of an existing electricity connection: its band today.
    pub electricity_current_band: String,
    /// `new` (default), `modification` (B-8) or `renewal` (B-9) of the water connection.
    pub water_work: String,
    /// B-9: no water billed on the connection for 24 months (its renewal is then paid).
    pub water_unbilled: Option<String>,
}

impl RequestInput {
    pub fn wants(&self, service: Service) -> bool {
        let flag = match service {
            Service::Electricity => &self.electricity,
            Service::Gas => &self.gas,
            Service::Water => &self.water,
            Service::Proximus => &self.proximus,
            Service::Voo => &self.voo,
        };
        flag.as_deref().is_some_and(|v| !v.is_empty())
    }
}

/// A request that passed every check, ready to be filed.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub applicant_kind: ApplicantKind,
    pub name: PersonName,
    pub company_number: Option<CompanyNumber>,
    /// VAT filer or not: works on immovable property are then reverse charged.
    pub applicant_vat: VatStatus,
    pub email: EmailAddress,
    pub phone: PhoneNumber,
    pub language: Language,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub locality: Option<String>,
    pub postcode: Postcode,
    pub commune: Commune,
    pub map_point: Option<MapPoint>,
    pub parcel_ref: Option<String>,
    pub building: Building,
    pub services: Vec<Service>,
    /// Partner service codes; whether the commune has that partner is checked on filing.
    pub partner_services: Vec<String>,
    pub electricity_band: Option<ElectricityBand>,
    /// A power increase of the existing connection: the band it has (priced as the difference).
    pub electricity_current_band: Option<ElectricityBand>,
    /// New build or existing dwelling, with its year of first occupation.
    pub dwelling: Dwelling,
    pub water_work: WaterWork,
    /// B-9: no water billed for 24 months on the connection to renew.
    pub water_unbilled: bool,
    pub wished_from: Option<NaiveDate>,
    pub wished_to: Option<NaiveDate>,
    pub remarks: Option<String>,
    /// The servicing of the land ORES prices in its own offer (V-8), when asked.
    pub servicing: Option<ServicingFacts>,
}

/// A repeated form field arrives as a list, a single one as a plain string.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(value) => vec![value],
        OneOrMany::Many(values) => values,
    })
}

/// A partner's service code: short, lowercase letters, digits, `_` or `-`.
pub fn is_service_code(code: &str) -> bool {
    (1..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn parse_date(raw: &str) -> Result<Option<NaiveDate>, InputError> {
    match raw.trim() {
        "" => Ok(None),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| InputError::Date),
    }
}

impl NewRequest {
    /// Checks every field and reports every problem at once.
    pub fn parse(
        input: &RequestInput,
        directory: &PostcodeDirectory,
        today: NaiveDate,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let applicant_kind = errors.check("applicant_kind", input.applicant_kind.parse());
        let name = errors.check("name", PersonName::parse(&input.name));
        let vat_code = input.vat.trim();
        // A VAT filer's number goes on the invoice it self-assesses (reverse charge): the
        // enterprise number, which a self-employed person has too.
        let company_number = match applicant_kind {
            _ if !input.company_number.trim().is_empty() => errors
                .check(
                    "company_number",
                    CompanyNumber::parse(&input.company_number),
                )
                .map(Some),
            Some(ApplicantKind::Legal) => {
                errors.add("company_number", InputError::CompanyNumberRequired);
                None
            }
            _ if vat_code == "vat_filer" => {
                errors.add("company_number", InputError::VatNumberRequired);
                None
            }
            _ => Some(None),
        };
        let applicant_vat = match vat_code {
            "" | "private" => Some(VatStatus::Private),
            "vat_filer" => Some(VatStatus::VatFiler),
            "exempt" => Some(VatStatus::Exempt),
            _ => {
                errors.add("vat", InputError::Choice);
                None
            }
        };
        let email = errors.check("email", EmailAddress::parse(&input.email));
        let phone = errors.check("phone", PhoneNumber::parse(&input.phone));
        let language = errors.check(
            "language",
            match input.language.trim() {
                "" => Ok(Language::Fr),
                code => code.parse(),
            },
        );

        let street = errors.check("street", optional_text(&input.street, 200));
        let house_number = errors.check("house_number", optional_text(&input.house_number, 20));
        let locality = errors.check("locality", optional_text(&input.locality, 100));
        let postcode = errors.check("postcode", Postcode::parse(&input.postcode));
        let commune = postcode.and_then(|postcode| {
            let communes = directory.communes(postcode);
            if communes.is_empty() {
                errors.add("postcode", InputError::PostcodeUnknown);
            }
            communes.first().cloned()
        });
        let map_point = errors.check(
            "map_point",
            match input.map_point.trim() {
                "" => Ok(None),
                text => MapPoint::parse(text).map(Some),
            },
        );
        let parcel_ref = errors.check("parcel_ref", optional_text(&input.parcel_ref, 60));
        // A site is found by its address or, for land without one yet, a point or parcel.
        if let (Some(street), Some(number), Some(point), Some(parcel)) =
            (&street, &house_number, &map_point, &parcel_ref)
        {
            let has_address = street.is_some() && number.is_some();
            if !has_address && point.is_none() && parcel.is_none() {
                let field = if street.is_none() {
                    "street"
                } else {
                    "house_number"
                };
                errors.add(field, InputError::LocationRequired);
            }
        }

        let building = errors.check(
            "building",
            Building::parse(&input.building, &input.dwellings),
        );

        let services: Vec<Service> = Service::ALL
            .into_iter()
            .filter(|s| input.wants(*s))
            .collect();
        let mut partner_services: Vec<String> = Vec::new();
        for code in &input.partner {
            let code = code.trim();
            if code.is_empty() || partner_services.iter().any(|c| c == code) {
                continue;
            }
            if !is_service_code(code) || Service::from_str(code).is_ok() {
                errors.add("services", InputError::Choice);
            } else {
                partner_services.push(code.to_owned());
            }
        }
        if services.is_empty() && partner_services.is_empty() && input.partner.is_empty() {
            errors.add("services", InputError::NoService);
        }
        let electricity_band = if services.contains(&Service::Electricity) {
            match input.electricity_band.trim() {
                "" => {
                    errors.add("electricity_band", InputError::ElectricityBandRequired);
                    None
                }
                code => errors
                    .check("electricity_band", ElectricityBand::parse(code))
                    .map(Some),
            }
        } else {
            Some(None)
        };

        let dwelling = errors.check_field(Dwelling::parse(
            &input.dwelling,
            &input.dwelling_first_occupied_year,
            today,
        ));
        let existing = matches!(dwelling, Some(Dwelling::Existing { .. }));
        let electricity_current_band = match input.electricity_current_band.trim() {
            "" => Some(None),
            _ if !services.contains(&Service::Electricity) => Some(None),
            code => match ElectricityBand::parse(code) {
                Err(error) => {
                    errors.add("electricity_current_band", error);
                    None
                }
                Ok(_) if dwelling.is_some() && !existing => {
                    errors.add(
                        "electricity_current_band",
                        InputError::WorkNeedsExistingDwelling,
                    );
                    None
                }
                Ok(current) => match electricity_band {
                    Some(Some(asked)) if current.kva() >= asked.kva() => {
                        errors.add("electricity_current_band", InputError::NotAPowerIncrease);
                        None
                    }
                    _ => Some(Some(current)),
                },
            },
        };
        let water_work = match input.water_work.trim() {
            _ if !services.contains(&Service::Water) => Some(WaterWork::New),
            "" | "new" => Some(WaterWork::New),
            "modification" | "renewal" if dwelling.is_some() && !existing => {
                errors.add("water_work", InputError::WorkNeedsExistingDwelling);
                None
            }
            "modification" => Some(WaterWork::Modification),
            "renewal" => Some(WaterWork::Renewal),
            _ => {
                errors.add("water_work", InputError::Choice);
                None
            }
        };
        let water_unbilled =
            water_work == Some(WaterWork::Renewal) && input.water_unbilled.is_some();

        let wished_from = errors.check("wished_from", parse_date(&input.wished_from));
        let wished_to = errors.check("wished_to", parse_date(&input.wished_to));
        if let Some(Some(from)) = wished_from
            && from < today
        {
            errors.add("wished_from", InputError::DateInPast);
        }
        if let (Some(Some(from)), Some(Some(to))) = (wished_from, wished_to) {
            if to < from {
                errors.add("wished_to", InputError::PeriodOrder);
            }
        } else if let Some(Some(to)) = wished_to
            && to < today
        {
            errors.add("wished_to", InputError::DateInPast);
        }
        let remarks = errors.check("remarks", optional_text(&input.remarks, 4000));
        let servicing_input = ServicingInput {
            operation: &input.servicing_operation,
            frontage_m: &input.servicing_frontage_m,
            parcels: &input.servicing_parcels,
            candelabras: &input.servicing_candelabras,
            planned_frontages: &input.servicing_planned_frontages,
            supply_points: &input.servicing_supply_points,
            cabin: &input.servicing_cabin,
            social: &input.servicing_social,
            t5387: &input.servicing_t5387,
            existing_pole_lights: &input.servicing_existing_pole_lights,
        };
        let payer_input = ServicingPayerInput {
            name: &input.servicing_payer_name,
            address: &input.servicing_payer_address,
            vat: &input.servicing_payer_vat,
            company_number: &input.servicing_payer_company_number,
        };
        let payer = match ServicingPayer::parse(&payer_input) {
            Ok(payer) => payer,
            Err(refused) => {
                for (field, error) in refused {
                    errors.add(field, error);
                }
                None
            }
        };
        let servicing = if servicing_input.is_blank() {
            // V-2.3: a payer other than the applicant is the servicing's, never the
            // connections' (those are paid by the applicant who receives the offer).
            if !payer_input.is_blank() {
                errors.add("servicing_payer_name", InputError::PayerNeedsServicing);
            }
            None
        } else {
            match ServicingFacts::parse(&servicing_input) {
                Ok(mut facts) => {
                    facts.payer = payer;
                    if !services.contains(&Service::Electricity) {
                        errors.add("servicing_operation", InputError::ServicingNeedsElectricity);
                    }
                    // V-2.4: the SWL or a public-service housing company, never a person.
                    if facts.social.is_some()
                        && applicant_kind.is_some_and(|k| k != ApplicantKind::Legal)
                    {
                        errors.add("servicing_social", InputError::SocialNeedsCompany);
                    }
                    Some(facts)
                }
                Err(refused) => {
                    for (field, error) in refused {
                        errors.add(field, error);
                    }
                    None
                }
            }
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        // Every value is present once no field was refused.
        let request = (|| {
            Some(NewRequest {
                applicant_kind: applicant_kind?,
                name: name?,
                company_number: company_number?,
                applicant_vat: applicant_vat?,
                email: email?,
                phone: phone?,
                language: language?,
                street: street?,
                house_number: house_number?,
                locality: locality?,
                postcode: postcode?,
                commune: commune?,
                map_point: map_point?,
                parcel_ref: parcel_ref?,
                building: building?,
                services,
                partner_services,
                electricity_band: electricity_band?,
                electricity_current_band: electricity_current_band?,
                dwelling: dwelling?,
                water_work: water_work?,
                water_unbilled,
                wished_from: wished_from?,
                wished_to: wished_to?,
                remarks: remarks?,
                servicing,
            })
        })();
        request.ok_or(errors)
    }
}

/// The applicant's (or payer's) VAT position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VatStatus {
    /// A private person or a body that files no periodic VAT returns.
    #[default]
    Private,
    /// A VAT-registered filer of periodic returns: works on immovable property are reverse charged.
    VatFiler,
    /// An applicant exempt from VAT that proved it (rule B-4.1).
    Exempt,
}

super::stored_code! {
    /// Where a request stands. The timeline keeps how it got there.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RequestState {
        Submitted = "submitted",
        Incomplete = "incomplete",
        Complete = "complete",
        Assessed = "assessed",
        Quoted = "quoted",
        Accepted = "accepted",
        ReadyForWorks = "ready_for_works",
        Scheduled = "scheduled",
        Done = "done",
        Closed = "closed",
        Withdrawn = "withdrawn",
        Refused = "refused",
        Lapsed = "lapsed",
    }
}

/// A move the request's life does not allow: `from` cannot become `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a request {} cannot become {}", from.code(), to.code())]
pub struct IllegalMove {
    pub from: RequestState,
    pub to: RequestState,
}

impl RequestState {
    /// Still open: neither finished nor given up.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            Self::Done | Self::Closed | Self::Withdrawn | Self::Refused
        )
    }

    /// The request's life (DESIGN "Data and state"): documents are asked for until the offer
    /// is sent; the case officer marks a request complete, and it is assessed once every
    /// operator has answered; an offer is sent once assessed, revised while not paid and
    /// re-issued after it lapsed (V-8.3); an accepted offer fully paid makes the request ready
    /// for works (V-8.2.1), the confirmed joint day schedules it, the last crew's works make it
    /// done, and payments settled after the works close it. A request is withdrawn while
    /// open, refused (with written reasons) before its offer.
    pub fn may_become(self, to: RequestState) -> bool {
        use RequestState::*;
        match (self, to) {
            (Submitted | Complete | Assessed, Incomplete) => true,
            (Submitted | Incomplete, Complete) => true,
            (Submitted | Incomplete | Complete, Assessed) => true,
            (Assessed | Quoted | Accepted | Lapsed, Quoted) => true,
            (Quoted, Accepted | ReadyForWorks | Lapsed) => true,
            (Accepted, ReadyForWorks) => true,
            (ReadyForWorks, Scheduled) => true,
            // Works are recorded on the reserved day, which the applicant may have picked
            // before the day was confirmed.
            (Assessed | Quoted | Accepted | ReadyForWorks | Scheduled, Done) => true,
            (Done, Closed) => true,
            (from, Withdrawn) => from.is_open(),
            (Submitted | Incomplete | Complete | Assessed, Refused) => true,
            _ => false,
        }
    }

    /// `Ok(to)` when the request may move there, else why not.
    pub fn move_to(self, to: RequestState) -> Result<RequestState, IllegalMove> {
        if self.may_become(to) {
            Ok(to)
        } else {
            Err(IllegalMove { from: self, to })
        }
    }
}

/// Human-friendly request number: `CMH-2026-000123`, counted per year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reference {
    pub year: i32,
    pub number: i64,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CMH-{}-{:06}", self.year, self.number)
    }
}

impl FromStr for Reference {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().splitn(3, '-');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(prefix), Some(year), Some(number))
                if prefix.eq_ignore_ascii_case("CMH") && year.len() == 4 =>
            {
                Ok(Reference {
                    year: year.parse().map_err(|_| InputError::Choice)?,
                    number: number.parse().map_err(|_| InputError::Choice)?,
                })
            }
            _ => Err(InputError::Choice),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> PostcodeDirectory {
        PostcodeDirectory::from_csv(include_str!("../../reference/be-postcodes.csv")).unwrap()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn marie() -> RequestInput {
        RequestInput {
            applicant_kind: "natural".into(),
            name: "Marie Dupont".into(),
            email: "marie@example.be".into(),
            phone: "+32 81 12 34 56".into(),
            language: "fr".into(),
            street: "Rue de Fer".into(),
            house_number: "12".into(),
            postcode: "5000".into(),
            building: "house".into(),
            electricity: Some("on".into()),
            electricity_band: "3x25".into(),
            gas: Some("on".into()),
            water: Some("on".into()),
            proximus: Some("on".into()),
            voo: Some("on".into()),
            wished_from: "2027-03-01".into(),
            wished_to: "2027-04-30".into(),
            ..RequestInput::default()
        }
    }

    #[test]
    fn a_complete_house_request_parses_with_its_commune() {
        let request = NewRequest::parse(&marie(), &directory(), today()).unwrap();
        assert_eq!(request.commune.name, "Namur");
        assert_eq!(request.commune.nis_code, "92094");
        assert_eq!(request.services.len(), 5);
        assert_eq!(request.electricity_band.unwrap().code(), "3x25");
        assert_eq!(request.building, Building::House);
    }

    #[test]
    fn an_existing_dwelling_counts_full_years_from_the_end_of_its_first_year() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let existing = |year| Dwelling::parse("existing", year, today()).unwrap();
        // Occupied at the latest on 31 December 2016: 9 full years on 23 November 2026, 10 on
        // 31 December 2026 — the 6% rate is never given to a home that might be younger.
        assert_eq!(existing("2016").age_on(today()), Some(9));
        assert_eq!(existing("2016").age_on(day(2026, 12, 31)), Some(10));
        assert_eq!(existing("2011").age_on(today()), Some(14));
        assert_eq!(existing("2026").age_on(today()), Some(0));
        assert_eq!(Dwelling::New.age_on(today()), None);
        assert_eq!(Dwelling::parse("", "", today()), Ok(Dwelling::New));
        for (year, error) in [
            ("", InputError::FirstOccupiedYear),
            ("11", InputError::FirstOccupiedYear),
            ("deux mille", InputError::FirstOccupiedYear),
            ("1799", InputError::FirstOccupiedYear),
            ("2027", InputError::FirstOccupiedFuture { year: 2026 }),
        ] {
            assert_eq!(
                Dwelling::parse("existing", year, today()),
                Err(("dwelling_first_occupied_year", error))
            );
        }
        assert_eq!(
            Dwelling::parse("castle", "", today()),
            Err(("dwelling", InputError::Choice))
        );
    }

    #[test]
    fn a_power_increase_is_of_an_existing_connection_to_a_higher_band() {
        let mut input = marie();
        input.electricity_current_band = "1x40".into();
        let errors = NewRequest::parse(&input, &directory(), today()).unwrap_err();
        assert_eq!(
            errors.get("electricity_current_band"),
            Some(&InputError::WorkNeedsExistingDwelling)
        );
        input.dwelling = "existing".into();
        input.dwelling_first_occupied_year = "2011".into();
        input.electricity_band = "1x25".into();
        let errors = NewRequest::parse(&input, &directory(), today()).unwrap_err();
        assert_eq!(
            errors.get("electricity_current_band"),
            Some(&InputError::NotAPowerIncrease)
        );
        input.electricity_band = "3x25".into();
        let request = NewRequest::parse(&input, &directory(), today()).unwrap();
        assert_eq!(
            request.electricity_current_band.map(|b| b.code()),
            Some("1x40".into())
        );
        assert_eq!(
            request.dwelling,
            Dwelling::Existing {
                first_occupied: 2011
            }
        );
    }

    #[test]
    fn c_1_buildings_of_more_than_four_dwellings_are_refused() {
        let mut input = marie();
        input.building = "building".into();
        input.dwellings = "6".into();
        let errors = NewRequest::parse(&input, &directory(), today()).unwrap_err();
        assert_eq!(
            errors.get("building"),
            Some(&InputError::TooManyDwellings { count: 6 })
        );
        input.dwellings = "4".into();
        let ok = NewRequest::parse(&input, &directory(), today()).unwrap();
        assert_eq!(ok.building.dwellings(), 4);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let input = RequestInput {
            applicant_kind: "legal".into(),
            company_number: "0543.696.578".into(),
            email: "nope".into(),
            postcode: "9999".into(),
            electricity: Some("on".into()),
            ..RequestInput::default()
        };
        let errors = NewRequest::parse(&input, &directory(), today()).unwrap_err();
        assert_eq!(errors.get("name"), Some(&InputError::Required));
        assert_eq!(
            errors.get("company_number"),
            Some(&InputError::CompanyNumberCheck)
        );
        assert_eq!(errors.get("email"), Some(&InputError::Email));
        assert_eq!(errors.get("postcode"), Some(&InputError::PostcodeUnknown));
        assert_eq!(
            errors.get("electricity_band"),
            Some(&InputError::ElectricityBandRequired)
        );
        assert_eq!(errors.get("building"), Some(&InputError::Required));
    }

    #[test]
    fn land_without_address_needs_a_point_or_parcel() {
        let mut input = marie();
        input.street.clear();
        input.house_number.clear();
        let errors = NewRequest::parse(&input, &directory(), today()).unwrap_err();
        assert_eq!(errors.get("street"), Some(&InputError::LocationRequired));
        input.parcel_ref = "Namur 1re div., section A, 123B".into();
        assert!(NewRequest::parse(&input, &directory(), today()).is_ok());
    }

    #[test]
    fn wished_period_is_checked() {
        let mut input = marie();
        input.wished_from = "2026-01-01".into();
        input.wished_to = "2025-12-01".into();
        let errors = NewRequest::parse(&input, &directory(), today()).unwrap_err();
        assert_eq!(errors.get("wished_from"), Some(&InputError::DateInPast));
        assert_eq!(errors.get("wished_to"), Some(&InputError::PeriodOrder));
    }

    #[test]
    fn at_least_one_service() {
        let mut input = marie();
        for service in Service::ALL {
            match service {
                Service::Electricity => input.electricity = None,
                Service::Gas => input.gas = None,
                Service::Water => input.water = None,
                Service::Proximus => input.proximus = None,
                Service::Voo => input.voo = None,
            }
        }
        let errors = NewRequest::parse(&input, &directory(), today()).unwrap_err();
        assert_eq!(errors.get("services"), Some(&InputError::NoService));
    }

    #[test]
    fn electricity_bands_and_power() {
        assert_eq!(ElectricityBand::parse("1x40").unwrap().kva(), 9.2);
        assert_eq!(ElectricityBand::parse("3x25").unwrap().kva(), 17.3);
        assert!(ElectricityBand::parse("3x26").is_err());
        assert!(ElectricityBand::parse("2x40").is_err());
    }

    #[test]
    fn reference_round_trips() {
        let reference = Reference {
            year: 2026,
            number: 123,
        };
        assert_eq!(reference.to_string(), "CMH-2026-000123");
        assert_eq!("CMH-2026-000123".parse::<Reference>().unwrap(), reference);
    }
}

/// The key a filing form carries so that submitting it twice files one request (the API's
/// `Idempotency-Key` header is [`crate::domain::idempotency::IdempotencyKey`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormKey(String);

impl FormKey {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let value = raw.trim();
        if (8..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(Self(value.to_owned()))
        } else {
            Err(InputError::Choice)
        }
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }
}

impl AsRef<str> for FormKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod form_key_tests {
    use super::*;

    #[test]
    fn keys_are_bounded_and_plain() {
        assert!(FormKey::parse(FormKey::generate().as_ref()).is_ok());
        assert!(FormKey::parse("short").is_err());
        assert!(FormKey::parse("has spaces in it").is_err());
        assert!(FormKey::parse(&"x".repeat(65)).is_err());
    }
}

#[cfg(test)]
mod state_machine_tests {
    use super::RequestState::{self, *};

    #[test]
    fn states_read_back_from_their_stored_codes_in_their_listed_order() {
        // The back office lists the states in this order.
        let codes = [
            ("submitted", Submitted),
            ("incomplete", Incomplete),
            ("complete", Complete),
            ("assessed", Assessed),
            ("quoted", Quoted),
            ("accepted", Accepted),
            ("ready_for_works", ReadyForWorks),
            ("scheduled", Scheduled),
            ("done", Done),
            ("closed", Closed),
            ("withdrawn", Withdrawn),
            ("refused", Refused),
            ("lapsed", Lapsed),
        ];
        crate::domain::assert_stored_codes(&codes, &["Submitted", "ready-for-works", "open"]);
        assert_eq!(RequestState::ALL, codes.map(|(_, state)| state));
    }

    #[test]
    fn the_journey_of_a_request_is_allowed_step_by_step() {
        let journey = [
            Submitted,
            Incomplete,
            Complete,
            Assessed,
            Quoted,
            Accepted,
            ReadyForWorks,
            Scheduled,
            Done,
            Closed,
        ];
        for step in journey.windows(2) {
            assert_eq!(step[0].move_to(step[1]), Ok(step[1]), "{step:?}");
        }
        // A revision, a lapse and a re-issue (V-8.3).
        assert!(Quoted.may_become(Quoted));
        assert!(Quoted.may_become(Lapsed));
        assert!(Lapsed.may_become(Quoted));
        // Accepted and paid in one go (V-8.2.1).
        assert!(Quoted.may_become(ReadyForWorks));
    }

    #[test]
    fn illegal_moves_are_refused_with_both_states() {
        for (from, to) in [
            (Submitted, Quoted),
            (Incomplete, Quoted),
            (Lapsed, Accepted),
            (Accepted, Scheduled),
            (Closed, Quoted),
            (Done, Quoted),
            (Withdrawn, Submitted),
            (Quoted, Refused),
            (Scheduled, Incomplete),
        ] {
            let refused = from.move_to(to).unwrap_err();
            assert_eq!((refused.from, refused.to), (from, to));
            assert_eq!(
                refused.to_string(),
                format!("a request {} cannot become {}", from.code(), to.code())
            );
        }
    }

    #[test]
    fn finished_requests_only_close_and_nothing_leaves_a_final_state() {
        for to in RequestState::ALL {
            assert_eq!(Done.may_become(to), to == Closed, "done → {to:?}");
            for last in [Closed, Withdrawn, Refused] {
                assert!(!last.may_become(to), "{last:?} → {to:?}");
            }
        }
    }

    #[test]
    fn every_open_request_may_be_withdrawn_and_no_closed_one() {
        for from in RequestState::ALL {
            assert_eq!(from.may_become(Withdrawn), from.is_open(), "{from:?}");
        }
    }
}
