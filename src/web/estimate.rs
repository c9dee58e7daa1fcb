//! "Estimate my costs": an instant, clearly indicative estimate of every connection before
//! filing, priced by the same tariff engines as the offer. Nothing is saved.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    routing::get,
};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{client::ClientAddr, error::PageError, extract::Ctx, views::Frame};
use crate::{
    domain::{
        Dwelling, ElectricityBand, FieldErrors, InputError, money::OutOfRange, survey::WaterWork,
    },
    i18n::Tr,
    operators::pricing::{PricedLine, code_of},
    state::AppState,
    tariff::{
        self, BuildingKind, ElectricityCase, Estimate, EstimateCase, GasCase, Metres, QuoteLine,
        TariffError, Tariffs, VatStatus, WaterCase,
    },
};

pub fn router() -> Router<AppState> {
    Router::new().route("/estimate", get(estimate_page))
}

/// The form as typed; a GET form, so an estimate can be bookmarked and shared.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EstimateForm {
    pub compute: String,
    pub building: String,
    pub dwellings: String,
    /// `new` or `existing`, as on the request form.
    pub dwelling: String,
    pub dwelling_first_occupied_year: String,
    /// Older links: `new`, `under10` or `10plus`, read when `dwelling` is not given.
    pub dwelling_age: String,
    pub vat: String,
    pub postcode: String,
    pub electricity: Option<String>,
    pub band: String,
    pub current_band: String,
    pub gas: Option<String>,
    pub gas_extra_m: String,
    pub water: Option<String>,
    pub water_distance_m: String,
    pub water_inside_m: String,
    /// `new`, `modification` (B-8) or `renewal` (B-9).
    pub water_work: String,
    pub water_unbilled: Option<String>,
    pub proximus: Option<String>,
    pub voo: Option<String>,
}

fn ticked(flag: &Option<String>) -> bool {
    flag.as_deref().is_some_and(|v| !v.is_empty())
}

fn metres(raw: &str) -> Result<Metres, InputError> {
    let raw = raw.trim().replace(',', ".");
    if raw.is_empty() {
        return Ok(Metres::ZERO);
    }
    let value: Decimal = raw.parse().map_err(|_| InputError::Number)?;
    Metres::new(value).map_err(|error| match error {
        OutOfRange::TooLarge { .. } => InputError::TooLarge {
            max: format!("{} m", Metres::MAX_WHOLE),
        },
        OutOfRange::Negative { .. } => InputError::Number,
    })
}

impl EstimateForm {
    /// The case to price, or every refused field at once.
    pub fn case(&self, today: chrono::NaiveDate) -> Result<EstimateCase, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut case = EstimateCase::new(today);
        case.applicant_vat = match self.vat.as_str() {
            "" | "private" => VatStatus::Private,
            "vat_filer" => VatStatus::VatFiler,
            "exempt" => VatStatus::Exempt,
            _ => {
                errors.add("vat", InputError::Choice);
                VatStatus::Private
            }
        };
        match self.building.as_str() {
            "" | "house" => {}
            "building" => {
                case.building = BuildingKind::Building;
                match self.dwellings.trim().parse::<u32>() {
                    Ok(n @ 2..=4) => case.dwellings = n,
                    Ok(n) if n > 4 => {
                        errors.add("dwellings", InputError::TooManyDwellings { count: n })
                    }
                    _ => errors.add("dwellings", InputError::DwellingsRange),
                }
            }
            _ => errors.add("building", InputError::Choice),
        }
        let existing = if self.dwelling.trim().is_empty() {
            // A link made before the form asked the year.
            case.dwelling_age_years = match self.dwelling_age.as_str() {
                "" | "new" => None,
                "under10" => Some(5),
                "10plus" => Some(10),
                _ => {
                    errors.add("dwelling_age", InputError::Choice);
                    None
                }
            };
            case.dwelling_age_years.is_some()
        } else {
            match Dwelling::parse(&self.dwelling, &self.dwelling_first_occupied_year, today) {
                Ok(dwelling) => {
                    case.dwelling_age_years = dwelling.age_on(today);
                    dwelling != Dwelling::New
                }
                Err((field, error)) => {
                    errors.add(field, error);
                    true
                }
            }
        };
        let postcode = self.postcode.trim();
        if !postcode.is_empty() {
            case.postcode = Some(postcode.to_owned());
        }
        if ticked(&self.electricity) {
            match ElectricityBand::parse(&self.band) {
                Ok(band) => {
                    let current = match self.current_band.trim() {
                        "" => None,
                        _ if !existing => {
                            errors.add("current_band", InputError::WorkNeedsExistingDwelling);
                            None
                        }
                        code => match ElectricityBand::parse(code) {
                            Ok(current) if current.kva() >= band.kva() => {
                                errors.add("current_band", InputError::NotAPowerIncrease);
                                None
                            }
                            Ok(current) => Some(current.code()),
                            Err(error) => {
                                errors.add("current_band", error);
                                None
                            }
                        },
                    };
                    case.electricity = Some(ElectricityCase {
                        band: band.code(),
                        current_band: current,
                    });
                }
                Err(_) => errors.add("band", InputError::ElectricityBandRequired),
            }
        }
        if ticked(&self.gas)
            && let Some(extra) = errors.check("gas_extra_m", metres(&self.gas_extra_m))
        {
            case.gas = Some(GasCase {
                extra_metres: extra,
            });
        }
        if ticked(&self.water) {
            let distance = errors.check("water_distance_m", metres(&self.water_distance_m));
            let inside = errors.check("water_inside_m", metres(&self.water_inside_m));
            if let (Some(distance), Some(inside)) = (distance, inside) {
                let work = match self.water_work.trim() {
                    "" | "new" => Some(WaterWork::New),
                    "modification" | "renewal" if !existing => {
                        errors.add("water_work", InputError::WorkNeedsExistingDwelling);
                        None
                    }
                    code => WaterWork::from_code(code).or_else(|| {
                        errors.add("water_work", InputError::Choice);
                        None
                    }),
                };
                case.water = work.map(|work| WaterCase {
                    work,
                    distance_to_main_m: distance,
                    inside_parcel_m: inside,
                    unbilled_24_months: work == WaterWork::Renewal && ticked(&self.water_unbilled),
                    ..WaterCase::default()
                });
            }
        }
        case.proximus = ticked(&self.proximus);
        case.voo = ticked(&self.voo);
        if case.electricity.is_none()
            && case.gas.is_none()
            && case.water.is_none()
            && !case.proximus
            && !case.voo
            && !errors.iter().any(|(field, _)| {
                ["band", "gas_extra_m", "water_distance_m", "water_inside_m"].contains(field)
            })
        {
            errors.add("services", InputError::NoService);
        }
        if errors.is_empty() {
            Ok(case)
        } else {
            Err(errors)
        }
    }
}

/// One priced line, every label translated.
pub struct LineView {
    pub label: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub amount: String,
    pub vat: String,
    pub vat_amount: String,
    pub rule: String,
}

pub struct QuoteView {
    pub heading: String,
    pub book: String,
    pub lines: Vec<LineView>,
    pub subtotal: String,
    pub vat_total: String,
    pub total: String,
}

pub struct EstimateView {
    pub illustrative: bool,
    pub quotes: Vec<QuoteView>,
    pub vat_rows: Vec<(String, String, String)>,
    pub total_excl_vat: String,
    pub total_vat: String,
    pub total_incl_vat: String,
    pub separately: Vec<String>,
    pub refusals: Vec<String>,
    pub mentions: Vec<String>,
}

fn args<'a>(map: &'a std::collections::BTreeMap<&'static str, String>) -> Vec<(&'a str, &'a str)> {
    map.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A line of an estimate: the same view as a stored line, naming who receives a quote-part.
fn line_view(tr: Tr, line: &QuoteLine) -> LineView {
    let mut view = stored_line_view(tr, &PricedLine::from(line));
    if let Some(payee) = &line.payee {
        view.label = format!("{} → {payee}", view.label);
    }
    view
}

/// A line stored with an operator's answer, as the pages show it.
pub fn stored_line_view(tr: Tr, line: &PricedLine) -> LineView {
    LineView {
        label: line.label(tr),
        quantity: tr.number(line.quantity.normalize()),
        unit: tr.keyed("tariff.unit", &line.unit),
        unit_price: tr.money(line.unit_price),
        amount: tr.money(line.amount_excl_vat),
        vat: tr.keyed("tariff.vat", &line.vat_regime),
        vat_amount: tr.money(line.vat_amount),
        rule: line.rule.clone(),
    }
}

pub fn estimate_view(tr: Tr, estimate: &Estimate) -> EstimateView {
    EstimateView {
        illustrative: estimate.illustrative,
        quotes: estimate
            .quotes
            .iter()
            .map(|quote| QuoteView {
                heading: tr.keyed(
                    "estimate.document",
                    format!("{}_{}", quote.operator.code(), code_of(&quote.scope)),
                ),
                book: quote.book.version.clone(),
                lines: quote.lines.iter().map(|l| line_view(tr, l)).collect(),
                subtotal: tr.money(quote.subtotal_excl_vat.amount()),
                vat_total: tr.money(quote.vat_total.amount()),
                total: tr.money(quote.total_incl_vat.amount()),
            })
            .collect(),
        vat_rows: estimate
            .vat_breakdown
            .iter()
            .map(|row| {
                (
                    tr.keyed("tariff.vat", row.regime.code()),
                    tr.money(row.base.amount()),
                    tr.money(row.vat.amount()),
                )
            })
            .collect(),
        total_excl_vat: tr.money(estimate.total_excl_vat.amount()),
        total_vat: tr.money(estimate.total_vat.amount()),
        total_incl_vat: tr.money(estimate.total_incl_vat.amount()),
        separately: estimate
            .separately_quoted
            .iter()
            .map(|item| format!("{} ({})", tr.t(item.label_key), item.rule))
            .collect(),
        refusals: estimate
            .refusals
            .iter()
            .map(|r| format!("{} ({})", tr.f(r.reason_key, args(&r.args)), r.rule))
            .collect(),
        mentions: estimate
            .mentions
            .iter()
            .map(|m| tr.t(m.key).to_owned())
            .collect(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/estimate.html")]
struct EstimatePage {
    tr: Tr,
    page: Frame,
    form: EstimateForm,
    errors: FieldErrors,
    failure: Option<String>,
    result: Option<EstimateView>,
    bands: Vec<(String, String)>,
}

impl EstimatePage {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| self.tr.error(e))
    }

    fn is(&self, value: &str, expected: &str) -> bool {
        value == expected
    }

    fn ticked(&self, flag: &Option<String>) -> bool {
        ticked(flag)
    }

    /// The existing-dwelling choice, from the form or an older link's age.
    fn existing(&self) -> bool {
        self.form.dwelling == "existing"
            || (self.form.dwelling.is_empty()
                && matches!(self.form.dwelling_age.as_str(), "under10" | "10plus"))
    }
}

/// A refused estimate in the visitor's language. A day without a tariff in force is said with
/// the day and every operator asked that has none then (V-5).
pub fn failure_text(tr: Tr, tariffs: &Tariffs, case: &EstimateCase, error: &TariffError) -> String {
    let date = case.modification_date.unwrap_or(case.request_date);
    match error {
        TariffError::NoBookInForce { .. } => {
            let operators: Vec<&str> = tariff::gap::gaps_of_case(tariffs, case)
                .iter()
                .map(|gap| tariff::gap::operator_name(gap.operator))
                .collect();
            tr.f(
                "estimate.no_book",
                [
                    ("date", tr.date(date).as_str()),
                    ("operators", operators.join(", ").as_str()),
                ],
            )
        }
        TariffError::UnknownTariffYear { .. } => {
            tr.f("estimate.no_book_date", [("date", tr.date(date).as_str())])
        }
        other => format!("{} ({other})", tr.t("estimate.failed")),
    }
}

async fn estimate_page(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    Query(form): Query<EstimateForm>,
) -> Result<EstimatePage, PageError> {
    let mut page = EstimatePage {
        tr: ctx.tr,
        page: ctx.frame,
        form: form.clone(),
        errors: FieldErrors::new(),
        failure: None,
        result: None,
        bands: ElectricityBand::all()
            .into_iter()
            .map(|b| (b.code(), ctx.tr.band(b)))
            .collect(),
    };
    if form.compute.is_empty() {
        page.form.electricity = Some("on".into());
        page.form.band = "1x40".into();
        return Ok(page);
    }
    // Pricing is counted like the API's estimates; the empty form is not.
    state.throttles.estimate.check(client)?;
    let today = state.clock.today();
    match form.case(today) {
        Err(errors) => page.errors = errors,
        Ok(case) => {
            let tariffs = crate::services::books::current(&state).await?;
            match tariff::estimate(&tariffs, &case) {
                Ok(estimate) => page.result = Some(estimate_view(ctx.tr, &estimate)),
                Err(error) => page.failure = Some(failure_text(ctx.tr, &tariffs, &case, &error)),
            }
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refused_field_is_reported_at_once() {
        let form = EstimateForm {
            compute: "1".into(),
            building: "building".into(),
            dwellings: "6".into(),
            water: Some("on".into()),
            water_distance_m: "-3".into(),
            water_inside_m: "abc".into(),
            ..EstimateForm::default()
        };
        let errors = form
            .case(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
            .unwrap_err();
        assert_eq!(
            errors.get("dwellings"),
            Some(&InputError::TooManyDwellings { count: 6 })
        );
        assert_eq!(errors.get("water_distance_m"), Some(&InputError::Number));
        assert_eq!(errors.get("water_inside_m"), Some(&InputError::Number));
        assert!(errors.get("services").is_none());
        let far = EstimateForm {
            compute: "1".into(),
            gas: Some("on".into()),
            gas_extra_m: "792281625142643375935".into(),
            ..EstimateForm::default()
        };
        let errors = far
            .case(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
            .unwrap_err();
        assert_eq!(
            errors.get("gas_extra_m"),
            Some(&InputError::TooLarge {
                max: "10000 m".into()
            })
        );
    }

    #[test]
    fn nothing_asked_is_refused() {
        let form = EstimateForm {
            compute: "1".into(),
            ..EstimateForm::default()
        };
        let errors = form
            .case(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
            .unwrap_err();
        assert_eq!(errors.get("services"), Some(&InputError::NoService));
    }
}
