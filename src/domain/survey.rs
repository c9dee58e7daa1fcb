//! SWDE's survey ("métré", rule B-5.1) of a water connection: the route lengths only the
//! survey measures, the extension when the main is over 50 m away (B-4.2, B-11), and the
//! holders of upstream extension sections who receive a quote-part (B-10).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::money::{Metres, Money};
use super::{InputError, servicing::parse_amount};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaterWork {
    /// A first connection.
    #[default]
    New,
    /// A change to an existing connection: same procedure, the extra cost is paid (B-8).
    Modification,
    /// Renewal of a worn connection (about 30 years), at SWDE's cost (B-9).
    Renewal,
}

impl WaterWork {
    pub fn code(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Modification => "modification",
            Self::Renewal => "renewal",
        }
    }

    /// A stored code; `None` for one this version does not know.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::New, Self::Modification, Self::Renewal]
            .into_iter()
            .find(|work| work.code() == code)
    }
}

/// The holder of an upstream extension section, in the order the sections were financed (B-10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlierHolder {
    /// Current title holder of the parcel that financed the section: the payee.
    pub holder: String,
    pub parcel: String,
    /// C_j: what the section cost its holder, VAT included.
    pub section_cost: Money,
    /// t_j: whole months since the holder paid the section, at the date the shares are
    /// computed for (the offer's, each re-issue's: [`WaterSurvey::shares_on`]).
    pub months_since_payment: u32,
    /// The day the holder paid the section, when SWDE recorded it: `t_j` then follows the
    /// calendar, and a share reaches 0 after 60 months (B-10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_on: Option<NaiveDate>,
}

/// Whole calendar months from `from` to `to` (0 when `to` is not later), a month ending on
/// the same day of the month or, in a shorter month, on its last day: 31 January to 27
/// February is 0, to 28 February is 1.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    if to <= from {
        return 0;
    }
    let span = (i64::from(to.year()) - i64::from(from.year())) * 12 + i64::from(to.month())
        - i64::from(from.month());
    let mut months = u32::try_from(span.max(0)).unwrap_or(u32::MAX);
    while months > 0
        && from
            .checked_add_months(chrono::Months::new(months))
            .is_none_or(|day| day > to)
    {
        months -= 1;
    }
    months
}

/// A water connection request, as a web form fills it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WaterCase {
    pub work: WaterWork,
    /// From the nearest main to the parcel limit (B-4.2).
    pub distance_to_main_m: Metres,
    /// Route inside the parcel to the meter (B-5.1).
    pub inside_parcel_m: Metres,
    /// Length of the network extension; by default the whole distance to the main when it is
    /// over 50 m (the main is brought to the parcel).
    pub extension_m: Option<Metres>,
    /// Connections asked for this parcel (B-4.3).
    pub connections: u32,
    /// SWDE granted more than one connection for the occupancy (B-4.3).
    pub extra_connections_granted: bool,
    pub pressure_installation: bool,
    /// Holders of the extension sections this connection uses, oldest first (B-10).
    #[schema(value_type = Vec<Object>)]
    pub earlier_holders: Vec<EarlierHolder>,
    /// B-9: no water billed on the connection to renew for 24 months: SWDE no longer has to
    /// renew it at its cost, and the renewal is priced as a first connection.
    pub unbilled_24_months: bool,
}

impl Default for WaterCase {
    fn default() -> Self {
        Self {
            work: WaterWork::New,
            distance_to_main_m: Metres::ZERO,
            inside_parcel_m: Metres::ZERO,
            extension_m: None,
            connections: 1,
            extra_connections_granted: false,
            pressure_installation: false,
            earlier_holders: Vec::new(),
            unbilled_24_months: false,
        }
    }
}

/// Rows of extension holders the survey form offers; a chain rarely has more sections.
pub const HOLDER_ROWS: usize = 3;
/// Longest length the survey form accepts, m.
pub const MAX_SURVEY_M: u32 = 5_000;
/// Largest section cost, € incl. VAT.
pub const MAX_SECTION_COST_EUR: u32 = 1_000_000;
/// B-10: quote-parts run for 60 months; older sections are still listed (their share is 0).
pub const MAX_MONTHS: u32 = 600;

/// What SWDE measured.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WaterSurvey {
    /// From the nearest main to the parcel limit (B-4.2).
    pub distance_to_main_m: Metres,
    /// Route inside the parcel to the meter (B-5.1).
    pub inside_parcel_m: Metres,
    /// Length of the extension, when not the whole distance to the main.
    pub extension_m: Option<Metres>,
    pub pressure_installation: bool,
    /// Holders of the upstream extension sections, oldest first (B-10).
    pub holders: Vec<EarlierHolder>,
}

/// One row of extension holder as typed.
#[derive(Debug, Clone, Default)]
pub struct HolderInput<'a> {
    pub name: &'a str,
    pub parcel: &'a str,
    pub cost: &'a str,
    pub months: &'a str,
    /// The day the holder paid the section (`YYYY-MM-DD`); when given, the months follow it.
    pub paid_on: &'a str,
}

impl HolderInput<'_> {
    fn is_blank(&self) -> bool {
        [self.name, self.parcel, self.cost, self.months, self.paid_on]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

/// The survey form as typed.
#[derive(Debug, Clone, Default)]
pub struct SurveyInput<'a> {
    pub distance_to_main_m: &'a str,
    pub inside_parcel_m: &'a str,
    pub extension_m: &'a str,
    pub pressure_installation: bool,
    pub holders: Vec<HolderInput<'a>>,
}

/// A length as typed, 0 allowed (the main may run along the parcel), decimal comma accepted.
fn parse_length(raw: &str) -> Result<Metres, InputError> {
    let value = parse_amount(raw, MAX_SURVEY_M).map_err(|error| match error {
        InputError::TooLarge { .. } => InputError::TooLarge {
            max: format!("{MAX_SURVEY_M} m"),
        },
        _ => InputError::Metres,
    })?;
    Metres::new(value).map_err(|_| InputError::Metres)
}

fn parse_holder(row: &HolderInput<'_>) -> Result<EarlierHolder, InputError> {
    let name = super::error::required_text(row.name, 200)?;
    let parcel = super::error::required_text(row.parcel, 200)?;
    let cost = parse_amount(row.cost, MAX_SECTION_COST_EUR)?;
    if cost.is_zero() {
        return Err(InputError::Number);
    }
    let paid_on = match row.paid_on.trim() {
        "" => None,
        raw => Some(NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| InputError::Date)?),
    };
    let months: u32 = match (row.months.trim(), paid_on) {
        // Computed from the day of payment whenever the shares are priced.
        ("", Some(_)) => 0,
        (raw, _) => raw.parse().map_err(|_| InputError::Number)?,
    };
    if months > MAX_MONTHS {
        return Err(InputError::Number);
    }
    Ok(EarlierHolder {
        holder: name,
        parcel,
        section_cost: Money::from_decimal(cost),
        months_since_payment: months,
        paid_on,
    })
}

/// The field names of holder rows, `survey_holder_1` …, for the refusals.
const HOLDER_FIELDS: [&str; HOLDER_ROWS] =
    ["survey_holder_1", "survey_holder_2", "survey_holder_3"];

impl WaterSurvey {
    /// Every field checked; problems are reported per field name (`survey_*`).
    pub fn parse(input: &SurveyInput<'_>) -> Result<Self, Vec<(&'static str, InputError)>> {
        let mut errors = Vec::new();
        let distance = parse_length(input.distance_to_main_m)
            .map_err(|e| errors.push(("survey_distance_to_main_m", e)))
            .ok();
        let inside = match input.inside_parcel_m.trim() {
            "" => Ok(Metres::ZERO),
            raw => parse_length(raw),
        }
        .map_err(|e| errors.push(("survey_inside_parcel_m", e)))
        .ok();
        let extension = match input.extension_m.trim() {
            "" => Ok(None),
            raw => parse_length(raw).map(Some),
        }
        .map_err(|e| errors.push(("survey_extension_m", e)))
        .ok();
        let mut holders = Vec::new();
        for (row, field) in input.holders.iter().zip(HOLDER_FIELDS) {
            if row.is_blank() {
                continue;
            }
            match parse_holder(row) {
                Ok(holder) => holders.push(holder),
                Err(error) => errors.push((field, error)),
            }
        }
        match (distance, inside, extension) {
            (Some(distance_to_main_m), Some(inside_parcel_m), Some(extension_m))
                if errors.is_empty() =>
            {
                Ok(WaterSurvey {
                    distance_to_main_m,
                    inside_parcel_m,
                    extension_m,
                    pressure_installation: input.pressure_installation,
                    holders,
                })
            }
            _ => Err(errors),
        }
    }

    /// B-4.2: beyond 50 m from the main, or with an extension measured, the main comes first.
    pub fn needs_extension(&self) -> bool {
        self.extension_m.is_some_and(|m| m > Metres::ZERO)
            || self.distance_to_main_m.value() > rust_decimal::Decimal::from(50)
    }

    /// Sets each holder's `t_j` from its recorded day of payment, as of `day` (the offer's
    /// date, B-10); holders recorded with months only keep them.
    pub fn shares_on(&mut self, day: NaiveDate) {
        for holder in &mut self.holders {
            if let Some(paid_on) = holder.paid_on {
                holder.months_since_payment = whole_months(paid_on, day);
            }
        }
    }

    /// The case the water engine prices.
    pub fn case(&self) -> WaterCase {
        WaterCase {
            work: WaterWork::New,
            distance_to_main_m: self.distance_to_main_m,
            inside_parcel_m: self.inside_parcel_m,
            extension_m: self.extension_m,
            pressure_installation: self.pressure_installation,
            earlier_holders: self.holders.clone(),
            ..WaterCase::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn holder<'a>(name: &'a str, cost: &'a str, months: &'a str) -> HolderInput<'a> {
        HolderInput {
            name,
            parcel: "Section A 12",
            cost,
            months,
            paid_on: "",
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn b_10_t_is_the_whole_months_since_the_payment() {
        assert_eq!(whole_months(day(2026, 1, 31), day(2026, 2, 27)), 0);
        assert_eq!(whole_months(day(2026, 1, 31), day(2026, 2, 28)), 1);
        assert_eq!(whole_months(day(2025, 10, 2), day(2026, 12, 2)), 14);
        assert_eq!(whole_months(day(2025, 10, 3), day(2026, 12, 2)), 13);
        assert_eq!(whole_months(day(2026, 12, 2), day(2026, 12, 1)), 0);
        // 60 months after the payment the share is gone.
        assert_eq!(whole_months(day(2021, 12, 2), day(2026, 12, 2)), 60);
        let mut survey = WaterSurvey::parse(&SurveyInput {
            distance_to_main_m: "62",
            holders: vec![HolderInput {
                paid_on: "2025-10-02",
                ..holder("Famille Dubois", "8400", "")
            }],
            ..SurveyInput::default()
        })
        .unwrap();
        survey.shares_on(day(2026, 12, 2));
        assert_eq!(survey.holders[0].months_since_payment, 14);
        survey.shares_on(day(2030, 10, 2));
        assert_eq!(survey.holders[0].months_since_payment, 60);
    }

    proptest::proptest! {
        #[test]
        fn whole_months_never_overshoot(a in 0i64..20_000, b in 0i64..20_000) {
            let base = day(2000, 1, 1);
            let from = base + chrono::Duration::days(a);
            let to = base + chrono::Duration::days(b);
            let months = whole_months(from, to);
            if months > 0 {
                let reached = from.checked_add_months(chrono::Months::new(months)).unwrap();
                proptest::prop_assert!(reached <= to);
            }
            if to > from {
                let next = from.checked_add_months(chrono::Months::new(months + 1));
                proptest::prop_assert!(next.is_none_or(|n| n > to));
            }
        }
    }

    #[test]
    fn b_10_journey_3_two_holders_and_the_extension_metres() {
        let survey = WaterSurvey::parse(&SurveyInput {
            distance_to_main_m: "62",
            inside_parcel_m: "1,5",
            extension_m: "",
            pressure_installation: false,
            holders: vec![
                holder("Famille Dubois", "8400", "14"),
                HolderInput::default(),
                holder("M. et Mme Leroy", "3600,50", "5"),
            ],
        })
        .unwrap();
        assert!(survey.needs_extension());
        assert_eq!(survey.holders.len(), 2);
        assert_eq!(survey.holders[1].holder, "M. et Mme Leroy");
        assert_eq!(
            survey.holders[1].section_cost.amount(),
            Decimal::new(360050, 2)
        );
        assert_eq!(survey.case().earlier_holders, survey.holders);
        assert_eq!(
            survey.case().inside_parcel_m,
            Metres::new(Decimal::new(15, 1)).unwrap()
        );
    }

    #[test]
    fn each_bad_field_is_named_and_a_main_close_by_needs_no_extension() {
        let errors = WaterSurvey::parse(&SurveyInput {
            distance_to_main_m: "",
            inside_parcel_m: "-2",
            extension_m: "beaucoup",
            pressure_installation: false,
            holders: vec![holder("", "8400", "14"), holder("X", "0", "3")],
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "survey_distance_to_main_m",
                "survey_inside_parcel_m",
                "survey_extension_m",
                "survey_holder_1",
                "survey_holder_2"
            ]
        );
        let near = WaterSurvey::parse(&SurveyInput {
            distance_to_main_m: "12",
            ..SurveyInput::default()
        })
        .unwrap();
        assert!(!near.needs_extension());
    }
}
