use thiserror::Error;

/// Why one piece of user input was refused. Each variant has a stable key that the
/// translation layer turns into a message in the user's language.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    #[error("this field is required")]
    Required,
    #[error("at most {max} characters")]
    TooLong { max: usize },
    #[error("not a valid email address")]
    Email,
    #[error("not a valid phone number")]
    Phone,
    #[error("a Belgian postcode has 4 digits")]
    PostcodeFormat,
    #[error("unknown Belgian postcode")]
    PostcodeUnknown,
    #[error("a company number has 10 digits, e.g. 0403.170.701")]
    CompanyNumberFormat,
    #[error("the check digits of this company number are wrong")]
    CompanyNumberCheck,
    #[error("a legal person needs a company number")]
    CompanyNumberRequired,
    #[error("not a valid choice")]
    Choice,
    #[error("a building needs between 2 and 4 dwellings")]
    DwellingsRange,
    #[error("more than 4 dwellings: not eligible (rule C-1)")]
    TooManyDwellings { count: u32 },
    #[error("choose at least one connection")]
    NoService,
    #[error("{service} is not offered in {commune}")]
    ServiceNotOffered { service: String, commune: String },
    #[error("choose the electricity power")]
    ElectricityBandRequired,
    #[error("not a valid date (YYYY-MM-DD)")]
    Date,
    #[error("the date is in the past")]
    DateInPast,
    #[error("the end of the period is before its start")]
    PeriodOrder,
    #[error("not a valid map point (latitude, longitude in Belgium)")]
    MapPoint,
    #[error("give the street and number, or a map point or parcel reference")]
    LocationRequired,
    #[error("a number is expected")]
    Number,
    /// A number beyond what the field accepts (`max` with its unit, e.g. `10000 m`).
    #[error("at most {max}")]
    TooLarge { max: String },
    #[error("a length in metres above 0 and at most 10,000 m, at most 2 decimals, e.g. 42.5")]
    Metres,
    #[error("a division makes at least 2 parcels (rule V-2.1)")]
    ServicingParcels,
    #[error(
        "industrial projects are out of scope of servicing (rule V-2.1): ask ORES for an offer"
    )]
    ServicingIndustrial,
    #[error("give the frontage of each part where a new building is planned (rule V-4.1c)")]
    PlannedFrontagesRequired,
    #[error("planned frontages are lengths in metres separated by semicolons, e.g. 25; 12")]
    PlannedFrontages,
    #[error("more parts with a planned building than the {parcels} parcels of the division")]
    PlannedFrontagesTooMany { parcels: u32 },
    #[error("the planned frontages add up to more than {max} m")]
    PlannedFrontagesTotal { max: u32 },
    #[error("planned frontages are for a division by donation, inheritance or an involuntary act")]
    PlannedFrontagesOnlyDonation,
    #[error("servicing is offered with the electricity connection: tick electricity")]
    ServicingNeedsElectricity,
    #[error(
        "a social project is carried by the SWL or a public-service housing company: file as a company"
    )]
    SocialNeedsCompany,
    #[error("a VAT filer gives its VAT number (its enterprise number), e.g. 0403.170.701")]
    VatNumberRequired,
    #[error("the year the dwelling was first occupied, 4 digits, e.g. 2011")]
    FirstOccupiedYear,
    #[error("the year of first occupation cannot be later than this year ({year})")]
    FirstOccupiedFuture { year: i32 },
    #[error(
        "a power increase or a change concerns an existing connection: choose an existing dwelling"
    )]
    WorkNeedsExistingDwelling,
    #[error("the current power must be lower than the power asked")]
    NotAPowerIncrease,
    #[error(
        "a network for grouped housing with later connections is never outside VAT under Decision T.5387 (rule V-6)"
    )]
    T5387GroupedHousing,
    #[error(
        "a payer other than the applicant pays the servicing of land (rule V-2.3): describe the servicing or leave the payer blank"
    )]
    PayerNeedsServicing,
    /// A webhook endpoint's address refused, and why (issue 21).
    #[error("webhook address refused: {0:?}")]
    WebhookUrl(crate::domain::webhook::UrlRefusal),
    #[error("choose at least one event")]
    WebhookNoEvent,
}

impl InputError {
    /// Stable key of the message in the translation files (`error.<key>`).
    pub fn key(&self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::TooLong { .. } => "too_long",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::PostcodeFormat => "postcode_format",
            Self::PostcodeUnknown => "postcode_unknown",
            Self::CompanyNumberFormat => "company_number_format",
            Self::CompanyNumberCheck => "company_number_check",
            Self::CompanyNumberRequired => "company_number_required",
            Self::Choice => "choice",
            Self::DwellingsRange => "dwellings_range",
            Self::TooManyDwellings { .. } => "too_many_dwellings",
            Self::NoService => "no_service",
            Self::ServiceNotOffered { .. } => "service_not_offered",
            Self::ElectricityBandRequired => "electricity_band_required",
            Self::Date => "date",
            Self::DateInPast => "date_in_past",
            Self::PeriodOrder => "period_order",
            Self::MapPoint => "map_point",
            Self::LocationRequired => "location_required",
            Self::Number => "number",
            Self::TooLarge { .. } => "too_large",
            Self::Metres => "servicing.metres",
            Self::ServicingParcels => "servicing.parcels",
            Self::ServicingIndustrial => "servicing.industrial",
            Self::PlannedFrontagesRequired => "servicing.planned_required",
            Self::PlannedFrontages => "servicing.planned",
            Self::PlannedFrontagesTooMany { .. } => "servicing.planned_too_many",
            Self::PlannedFrontagesTotal { .. } => "servicing.planned_total",
            Self::PlannedFrontagesOnlyDonation => "servicing.planned_only_donation",
            Self::ServicingNeedsElectricity => "servicing.needs_electricity",
            Self::SocialNeedsCompany => "servicing.social_needs_company",
            Self::VatNumberRequired => "vat.number_required",
            Self::FirstOccupiedYear => "dwelling.first_occupied_year",
            Self::FirstOccupiedFuture { .. } => "dwelling.first_occupied_future",
            Self::WorkNeedsExistingDwelling => "dwelling.work_needs_existing",
            Self::NotAPowerIncrease => "dwelling.not_a_power_increase",
            Self::T5387GroupedHousing => "servicing.t5387_grouped_housing",
            Self::PayerNeedsServicing => "servicing.payer_needs_servicing",
            Self::WebhookUrl(refusal) => match refusal {
                crate::domain::webhook::UrlRefusal::Invalid => "webhook.url_invalid",
                crate::domain::webhook::UrlRefusal::NotHttps => "webhook.url_not_https",
                crate::domain::webhook::UrlRefusal::LocalHttpOff => "webhook.url_local_http_off",
                crate::domain::webhook::UrlRefusal::Credentials => "webhook.url_credentials",
            },
            Self::WebhookNoEvent => "webhook.no_event",
        }
    }

    /// Values substituted into the translated message (`{max}`, `{count}`).
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::TooLong { max } => vec![("max", max.to_string())],
            Self::TooManyDwellings { count } => vec![("count", count.to_string())],
            Self::PlannedFrontagesTooMany { parcels } => vec![("parcels", parcels.to_string())],
            Self::PlannedFrontagesTotal { max } => vec![("max", max.to_string())],
            Self::TooLarge { max } => vec![("max", max.clone())],
            Self::FirstOccupiedFuture { year } => vec![("year", year.to_string())],
            Self::ServiceNotOffered { service, commune } => {
                vec![("service", service.clone()), ("commune", commune.clone())]
            }
            _ => Vec::new(),
        }
    }
}

/// Every refused field of a form, in form order, so all problems are shown at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, InputError)>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, error: InputError) {
        self.0.push((field, error));
    }

    /// Records the error of a parse result and returns its value, if any.
    pub fn check<T>(&mut self, field: &'static str, result: Result<T, InputError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error);
                None
            }
        }
    }

    /// [`FieldErrors::check`] for a parse that names the refused field itself.
    pub fn check_field<T>(&mut self, result: Result<T, (&'static str, InputError)>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err((field, error)) => {
                self.add(field, error);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&InputError> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, e)| e)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(&'static str, InputError)> {
        self.0.iter()
    }
}

/// Trims and refuses empty or overlong text.
pub fn required_text(raw: &str, max: usize) -> Result<String, InputError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InputError::Required);
    }
    if value.chars().count() > max {
        return Err(InputError::TooLong { max });
    }
    Ok(value.to_owned())
}

/// Trims; empty becomes `None`; refuses overlong text.
pub fn optional_text(raw: &str, max: usize) -> Result<Option<String>, InputError> {
    match required_text(raw, max) {
        Ok(value) => Ok(Some(value)),
        Err(InputError::Required) => Ok(None),
        Err(error) => Err(error),
    }
}
