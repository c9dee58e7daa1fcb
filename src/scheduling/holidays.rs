//! Construction-industry holidays ("congés du bâtiment", CP 124): yearly data per province,
//! kept by administrators, so validated with errors that name the faulty period. The periods
//! live in the database; the TOML form below serves data exchange and tests.

use std::{fmt, str::FromStr};

use chrono::NaiveDate;
use serde::Deserialize;

/// Longest period accepted: the summer holidays last about four weeks, so anything longer is
/// almost certainly a typing error in a year or a month.
pub const MAX_PERIOD_DAYS: i64 = 45;

/// The five Walloon provinces, the granularity of the summer construction holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Province {
    BrabantWallon,
    Hainaut,
    Liege,
    Luxembourg,
    Namur,
}

impl Province {
    pub const ALL: [Province; 5] = [
        Province::BrabantWallon,
        Province::Hainaut,
        Province::Liege,
        Province::Luxembourg,
        Province::Namur,
    ];

    /// The name used by Statbel (and thus by `Commune::province`) and by the data file.
    pub fn name(self) -> &'static str {
        match self {
            Self::BrabantWallon => "Brabant wallon",
            Self::Hainaut => "Hainaut",
            Self::Liege => "Liège",
            Self::Luxembourg => "Luxembourg",
            Self::Namur => "Namur",
        }
    }

    /// The stable code stored in the database and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Self::BrabantWallon => "brabant_wallon",
            Self::Hainaut => "hainaut",
            Self::Liege => "liege",
            Self::Luxembourg => "luxembourg",
            Self::Namur => "namur",
        }
    }

    pub fn from_code(code: &str) -> Option<Province> {
        Province::ALL.into_iter().find(|p| p.code() == code)
    }
}

impl fmt::Display for Province {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Not one of the five Walloon provinces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown province {0:?}; expected one of: Brabant wallon, Hainaut, Liège, Luxembourg, Namur"
)]
pub struct UnknownProvince(pub String);

impl FromStr for Province {
    type Err = UnknownProvince;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Province::ALL
            .into_iter()
            .find(|p| p.name() == s.trim())
            .ok_or_else(|| UnknownProvince(s.to_owned()))
    }
}

/// One holiday period, both ends included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayPeriod {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The provinces concerned; empty means all of Wallonia.
    pub provinces: Vec<Province>,
}

impl HolidayPeriod {
    pub fn applies_to(&self, province: Province) -> bool {
        self.provinces.is_empty() || self.provinces.contains(&province)
    }

    pub fn contains(&self, province: Province, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to && self.applies_to(province)
    }
}

/// What is wrong in a construction-holiday file. Periods are numbered from 1 in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolidayDataError {
    #[error("construction holidays: {0}")]
    Syntax(String),
    #[error("period {index}: the name is empty")]
    EmptyName { index: usize },
    #[error(
        "period {index} ({name}): `{field}` must be a plain date such as 2026-07-13, not {value}"
    )]
    NotADate {
        index: usize,
        name: String,
        field: &'static str,
        value: String,
    },
    #[error("period {index} ({name}): it ends on {to}, before it starts on {from}")]
    EndsBeforeStart {
        index: usize,
        name: String,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error(
        "period {index} ({name}): {days} days is longer than the {max} days a construction holiday can last"
    )]
    TooLong {
        index: usize,
        name: String,
        days: i64,
        max: i64,
    },
    #[error("period {index} ({name}): {source}")]
    Province {
        index: usize,
        name: String,
        source: UnknownProvince,
    },
    #[error("period {index} ({name}): {province} is listed twice")]
    DuplicateProvince {
        index: usize,
        name: String,
        province: Province,
    },
    #[error("period {index} ({name}) overlaps period {other} ({other_name}) in {province}")]
    Overlap {
        index: usize,
        name: String,
        other: usize,
        other_name: String,
        province: Province,
    },
}

/// All construction-holiday periods known to the product, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConstructionHolidays {
    periods: Vec<HolidayPeriod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    period: Vec<RawPeriod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    name: String,
    from: toml::value::Datetime,
    to: toml::value::Datetime,
    #[serde(default)]
    provinces: Vec<String>,
}

/// Why one period cannot join the others (the administrator's form checks one at a time).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the name is empty")]
    EmptyName,
    #[error("it ends on {to}, before it starts on {from}")]
    EndsBeforeStart { from: NaiveDate, to: NaiveDate },
    #[error("{days} days is longer than the {max} days a construction holiday can last")]
    TooLong { days: i64, max: i64 },
    #[error("it overlaps {} ({} to {}) in {province}", other.name, other.from, other.to)]
    Overlap {
        other: HolidayPeriod,
        province: Province,
    },
    /// Only when the periods already held were invalid, which `new` prevents.
    #[error(transparent)]
    Data(HolidayDataError),
}

impl ConstructionHolidays {
    /// Parses and validates periods written as TOML (format: `tests/fixtures/construction-holidays.toml`).
    pub fn parse(text: &str) -> Result<Self, HolidayDataError> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| HolidayDataError::Syntax(e.to_string()))?;
        let mut periods = Vec::with_capacity(raw.period.len());
        for (i, p) in raw.period.into_iter().enumerate() {
            let index = i + 1;
            let date = |field: &'static str, value: &toml::value::Datetime| {
                match value {
                    toml::value::Datetime {
                        date: Some(d),
                        time: None,
                        offset: None,
                    } => NaiveDate::from_ymd_opt(
                        i32::from(d.year),
                        u32::from(d.month),
                        u32::from(d.day),
                    )
                    .ok_or(()),
                    _ => Err(()),
                }
                .map_err(|()| HolidayDataError::NotADate {
                    index,
                    name: p.name.clone(),
                    field,
                    value: value.to_string(),
                })
            };
            let from = date("from", &p.from)?;
            let to = date("to", &p.to)?;
            let mut provinces = Vec::with_capacity(p.provinces.len());
            for text in &p.provinces {
                let province = text.parse().map_err(|source| HolidayDataError::Province {
                    index,
                    name: p.name.clone(),
                    source,
                })?;
                provinces.push(province);
            }
            periods.push(HolidayPeriod {
                name: p.name,
                from,
                to,
                provinces,
            });
        }
        Self::new(periods)
    }

    /// Validates periods built in code (for instance by the administration pages).
    pub fn new(periods: Vec<HolidayPeriod>) -> Result<Self, HolidayDataError> {
        for (i, p) in periods.iter().enumerate() {
            let index = i + 1;
            let name = || p.name.clone();
            if p.name.trim().is_empty() {
                return Err(HolidayDataError::EmptyName { index });
            }
            if p.to < p.from {
                return Err(HolidayDataError::EndsBeforeStart {
                    index,
                    name: name(),
                    from: p.from,
                    to: p.to,
                });
            }
            let days = (p.to - p.from).num_days() + 1;
            if days > MAX_PERIOD_DAYS {
                return Err(HolidayDataError::TooLong {
                    index,
                    name: name(),
                    days,
                    max: MAX_PERIOD_DAYS,
                });
            }
            for (k, province) in p.provinces.iter().enumerate() {
                if p.provinces[..k].contains(province) {
                    return Err(HolidayDataError::DuplicateProvince {
                        index,
                        name: name(),
                        province: *province,
                    });
                }
            }
            // Overlaps are harmless to the calendar but nearly always a copy-paste slip.
            for (j, q) in periods[..i].iter().enumerate() {
                if q.from <= p.to
                    && p.from <= q.to
                    && let Some(province) = Province::ALL
                        .into_iter()
                        .find(|&pr| p.applies_to(pr) && q.applies_to(pr))
                {
                    return Err(HolidayDataError::Overlap {
                        index,
                        name: name(),
                        other: j + 1,
                        other_name: q.name.clone(),
                        province,
                    });
                }
            }
        }
        Ok(Self { periods })
    }

    pub fn periods(&self) -> &[HolidayPeriod] {
        &self.periods
    }

    /// Whether `date` is a construction holiday in `province`.
    pub fn contains(&self, province: Province, date: NaiveDate) -> bool {
        self.periods.iter().any(|p| p.contains(province, date))
    }

    /// The set with `period` added, or put in place of the period at `replacing`; the one
    /// period is checked against the others. Its provinces are put in order, once each.
    pub fn with_period(
        &self,
        replacing: Option<usize>,
        mut period: HolidayPeriod,
    ) -> Result<Self, PeriodError> {
        period.provinces.sort();
        period.provinces.dedup();
        if period.provinces.len() == Province::ALL.len() {
            period.provinces.clear();
        }
        let mut periods: Vec<HolidayPeriod> = self
            .periods
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != replacing)
            .map(|(_, p)| p.clone())
            .collect();
        periods.push(period);
        // The others passed `new` already, so whatever fails is the last, the new one.
        Self::new(periods.clone()).map_err(|error| match error {
            HolidayDataError::EmptyName { .. } => PeriodError::EmptyName,
            HolidayDataError::EndsBeforeStart { from, to, .. } => {
                PeriodError::EndsBeforeStart { from, to }
            }
            HolidayDataError::TooLong { days, max, .. } => PeriodError::TooLong { days, max },
            HolidayDataError::Overlap {
                other, province, ..
            } => PeriodError::Overlap {
                other: periods[other - 1].clone(),
                province,
            },
            other => PeriodError::Data(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn fixture() -> ConstructionHolidays {
        ConstructionHolidays::parse(include_str!(
            "../../tests/fixtures/construction-holidays.toml"
        ))
        .unwrap()
    }

    fn period(name: &str, from: NaiveDate, to: NaiveDate, provinces: &[Province]) -> HolidayPeriod {
        HolidayPeriod {
            name: name.into(),
            from,
            to,
            provinces: provinces.to_vec(),
        }
    }

    #[test]
    fn the_2025_summer_holidays_differ_by_province() {
        let data = fixture();
        assert!(data.contains(Province::Hainaut, d(2025, 7, 7)));
        assert!(!data.contains(Province::Namur, d(2025, 7, 7)));
        assert!(data.contains(Province::Luxembourg, d(2025, 8, 8)));
        assert!(!data.contains(Province::Liege, d(2025, 8, 4)));
        // Winter rest days apply to every province.
        for province in Province::ALL {
            assert!(data.contains(province, d(2026, 1, 2)));
            assert!(data.contains(province, d(2026, 12, 23)));
        }
    }

    #[test]
    fn province_codes_round_trip() {
        for province in Province::ALL {
            assert_eq!(Province::from_code(province.code()), Some(province));
        }
        assert_eq!(Province::from_code("Namur"), None);
    }

    #[test]
    fn one_period_is_checked_against_the_others() {
        let data = fixture();
        let summer = period(
            "Summer holidays 2027",
            d(2027, 7, 12),
            d(2027, 7, 30),
            &[Province::Namur, Province::Namur, Province::Liege],
        );
        let added = data.with_period(None, summer).unwrap();
        assert_eq!(added.periods().len(), data.periods().len() + 1);
        assert_eq!(
            added.periods().last().unwrap().provinces,
            vec![Province::Liege, Province::Namur]
        );
        assert!(added.contains(Province::Namur, d(2027, 7, 20)));
        assert!(!added.contains(Province::Hainaut, d(2027, 7, 20)));

        // Every province ticked is all of Wallonia.
        let all = period("Rest", d(2027, 1, 4), d(2027, 1, 4), &Province::ALL);
        let with_all = data.with_period(None, all).unwrap();
        assert!(with_all.periods().last().unwrap().provinces.is_empty());

        let overlapping = period(
            "Rest 2026",
            d(2026, 12, 24),
            d(2026, 12, 28),
            &[Province::Namur],
        );
        let Err(PeriodError::Overlap { other, province }) =
            data.with_period(None, overlapping.clone())
        else {
            panic!("expected an overlap")
        };
        assert_eq!(other.name, "Jours de repos d'hiver 2026");
        assert_eq!(province, Province::Namur);

        // Changing the winter period in place does not overlap itself.
        let winter = data
            .periods()
            .iter()
            .position(|p| p.name == "Jours de repos d'hiver 2026")
            .unwrap();
        let changed = data.with_period(Some(winter), overlapping).unwrap();
        assert_eq!(changed.periods().len(), data.periods().len());
        assert!(changed.contains(Province::Namur, d(2026, 12, 28)));
        assert!(!changed.contains(Province::Namur, d(2026, 12, 21)));

        assert_eq!(
            data.with_period(None, period(" ", d(2027, 1, 4), d(2027, 1, 4), &[])),
            Err(PeriodError::EmptyName)
        );
        assert_eq!(
            data.with_period(None, period("S", d(2027, 7, 30), d(2027, 7, 12), &[])),
            Err(PeriodError::EndsBeforeStart {
                from: d(2027, 7, 30),
                to: d(2027, 7, 12)
            })
        );
        assert_eq!(
            data.with_period(None, period("S", d(2027, 7, 1), d(2027, 9, 1), &[])),
            Err(PeriodError::TooLong { days: 63, max: 45 })
        );
    }

    fn parse_err(text: &str) -> HolidayDataError {
        ConstructionHolidays::parse(text).unwrap_err()
    }

    #[test]
    fn errors_name_the_period_and_the_fault() {
        let e = parse_err(
            "[[period]]\nname = \"ok\"\nfrom = 2026-01-02\nto = 2026-01-02\n\
             [[period]]\nname = \"Summer\"\nfrom = 2026-07-20\nto = 2026-07-01\n",
        );
        assert_eq!(
            e.to_string(),
            "period 2 (Summer): it ends on 2026-07-01, before it starts on 2026-07-20"
        );
        let e = parse_err(
            "[[period]]\nname = \"S\"\nfrom = 2026-07-01\nto = 2026-07-20\nprovinces = [\"Liege\"]\n",
        );
        assert!(
            matches!(e, HolidayDataError::Province { index: 1, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("\"Liege\""));
        let e =
            parse_err("[[period]]\nname = \"S\"\nfrom = 2026-07-01T08:00:00\nto = 2026-07-20\n");
        assert!(
            matches!(e, HolidayDataError::NotADate { field: "from", .. }),
            "{e}"
        );
        let e = parse_err("[[period]]\nname = \"S\"\nfrom = 2026-07-01\nto = 2027-07-20\n");
        assert!(
            matches!(e, HolidayDataError::TooLong { days: 385, .. }),
            "{e}"
        );
        let e = parse_err(
            "[[period]]\nname = \"S\"\nfrom = 2026-07-01\nto = 2026-07-20\nprovinces = [\"Namur\", \"Namur\"]\n",
        );
        assert!(
            matches!(e, HolidayDataError::DuplicateProvince { .. }),
            "{e}"
        );
        let e = parse_err("[[period]]\nname = \" \"\nfrom = 2026-07-01\nto = 2026-07-20\n");
        assert_eq!(e, HolidayDataError::EmptyName { index: 1 });
    }

    #[test]
    fn overlapping_periods_of_one_province_are_rejected_but_other_provinces_may_overlap() {
        let e = parse_err(
            "[[period]]\nname = \"A\"\nfrom = 2026-07-01\nto = 2026-07-20\nprovinces = [\"Namur\"]\n\
             [[period]]\nname = \"B\"\nfrom = 2026-07-15\nto = 2026-07-30\n",
        );
        assert_eq!(e.to_string(), "period 2 (B) overlaps period 1 (A) in Namur");
        ConstructionHolidays::parse(
            "[[period]]\nname = \"A\"\nfrom = 2026-07-01\nto = 2026-07-20\nprovinces = [\"Namur\"]\n\
             [[period]]\nname = \"B\"\nfrom = 2026-07-15\nto = 2026-07-30\nprovinces = [\"Hainaut\"]\n",
        )
        .unwrap();
    }

    #[test]
    fn syntax_and_unknown_fields_report_the_line() {
        let e = parse_err("[[period]]\nname = \"A\"\nfrom = 2026-07-01\nuntil = 2026-07-20\n");
        let HolidayDataError::Syntax(message) = e else {
            panic!("expected a syntax error")
        };
        assert!(message.contains("line 4"), "{message}");
        assert!(message.contains("until"), "{message}");
    }
}
