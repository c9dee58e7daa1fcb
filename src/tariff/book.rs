//! Tariff books: one TOML document per operator and period, parsed and validated here.
//!
//! Books are data: operator administrators upload new versions at /operator/tariffs without a
//! code change (`services::books`).
//! `parse_book` is the validator: it takes the TOML text and returns a typed book or an error
//! naming the key that is wrong. `BookSet` refuses overlapping validity within an operator and
//! finds the book in force on a date (rule V-5; V-8.3 for a modification).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::{
    Operator, TariffError,
    money::{Metres, OutOfRange},
};
use crate::domain::ElectricityBand;

/// The books shipped with the binary (illustrative demo values, see `tariffs/README.md`).
pub const EMBEDDED_BOOKS: [(&str, &str); 9] = [
    (
        "tariffs/ores-2025.toml",
        include_str!("../../tariffs/ores-2025.toml"),
    ),
    (
        "tariffs/ores-2026.toml",
        include_str!("../../tariffs/ores-2026.toml"),
    ),
    (
        "tariffs/swde-2026.toml",
        include_str!("../../tariffs/swde-2026.toml"),
    ),
    (
        "tariffs/proximus-2026.toml",
        include_str!("../../tariffs/proximus-2026.toml"),
    ),
    (
        "tariffs/voo-2026.toml",
        include_str!("../../tariffs/voo-2026.toml"),
    ),
    (
        "tariffs/ores-2027.toml",
        include_str!("../../tariffs/ores-2027.toml"),
    ),
    (
        "tariffs/swde-2027.toml",
        include_str!("../../tariffs/swde-2027.toml"),
    ),
    (
        "tariffs/proximus-2027.toml",
        include_str!("../../tariffs/proximus-2027.toml"),
    ),
    (
        "tariffs/voo-2027.toml",
        include_str!("../../tariffs/voo-2027.toml"),
    ),
];

/// The highest price a book may set, € per unit. No connection tariff comes near it; it keeps
/// every product with a quantity (at most `Metres::MAX`) far inside the decimal range.
pub const MAX_PRICE_EUR: u32 = 10_000_000;
/// The highest overhead markup a water book may set, percent (B-5.2).
pub const MAX_MARKUP_PERCENT: u32 = 100;

/// Identity and validity of a book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookHeader {
    pub operator: Operator,
    /// Printed on every line priced with this book.
    pub version: String,
    /// First day in force.
    #[serde(deserialize_with = "toml_date")]
    pub valid_from: NaiveDate,
    /// Last day in force (inclusive).
    #[serde(deserialize_with = "toml_date")]
    pub valid_until: NaiveDate,
    /// Demo values: every priced document must say so.
    #[serde(default)]
    pub illustrative: bool,
    /// Who approved the book (e.g. CWaPE for ORES), if anyone.
    #[serde(default)]
    pub approved_by: Option<String>,
    /// Keys whose value was chosen without a public source (listed in tariffs/README.md).
    #[serde(default)]
    pub invented: Vec<String>,
}

/// ORES servicing of land ("viabilisation"), V-rules.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicingTariff {
    /// Per applicant and land (V-3.1).
    #[serde(deserialize_with = "price")]
    pub dossier_fee: Decimal,
    /// Per metre of road frontage (V-4.1a).
    #[serde(deserialize_with = "price")]
    pub per_metre: Decimal,
    /// Per candelabra placed (V-4.3).
    #[serde(deserialize_with = "price")]
    pub public_lighting_per_candelabra: Decimal,
    /// Y of the indoor-local variant, €/m² (V-9.2).
    #[serde(deserialize_with = "price")]
    pub indoor_local_price_per_m2: Decimal,
}

/// ORES low-voltage connection bands.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectricityTariff {
    pub bands: Vec<BandPrice>,
    /// Per dwelling of a building with several dwellings.
    #[serde(deserialize_with = "price")]
    pub per_dwelling_flat: Decimal,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandPrice {
    /// Form code, e.g. "3x25".
    pub band: String,
    #[serde(deserialize_with = "price")]
    pub price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasTariff {
    /// Standard connection in a new dwelling (free at ORES).
    #[serde(deserialize_with = "price")]
    pub standard_new_dwelling: Decimal,
    #[serde(deserialize_with = "price")]
    pub standard_existing_dwelling: Decimal,
    /// Per metre beyond the standard length.
    #[serde(deserialize_with = "price")]
    pub extra_metre: Decimal,
}

/// SWDE water connection, B-rules. Prices excluding VAT.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaterTariff {
    /// B-4.1.
    #[serde(deserialize_with = "price")]
    pub registration_fee: Decimal,
    /// B-5.2: the standard connection as parts + labour, before the overhead markup.
    #[serde(deserialize_with = "price")]
    pub standard_parts: Decimal,
    #[serde(deserialize_with = "price")]
    pub standard_labour: Decimal,
    /// Length the standard connection includes.
    #[serde(deserialize_with = "length")]
    pub included_metres: Decimal,
    #[serde(deserialize_with = "price")]
    pub extra_metre_parts: Decimal,
    #[serde(deserialize_with = "price")]
    pub extra_metre_labour: Decimal,
    /// Overhead markup on parts and labour, percent.
    #[serde(deserialize_with = "percent")]
    pub overhead_markup_percent: Decimal,
    /// Network extension per metre (B-11).
    #[serde(deserialize_with = "price")]
    pub extension_per_metre: Decimal,
    /// SWDE subsidy per extension metre for a new individual dwelling.
    #[serde(deserialize_with = "price")]
    pub extension_subsidy_per_metre: Decimal,
    #[serde(deserialize_with = "price")]
    pub pressure_installation: Decimal,
    #[serde(deserialize_with = "price")]
    pub pressure_installation_subsidy: Decimal,
}

/// Proximus and VOO standard connections (C-5).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelecomTariff {
    #[serde(deserialize_with = "price")]
    pub standard: Decimal,
}

/// A whole book, as typed data.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffBook {
    pub book: BookHeader,
    #[serde(default)]
    pub servicing: Option<ServicingTariff>,
    #[serde(default)]
    pub electricity: Option<ElectricityTariff>,
    #[serde(default)]
    pub gas: Option<GasTariff>,
    #[serde(default)]
    pub water: Option<WaterTariff>,
    #[serde(default)]
    pub telecom: Option<TelecomTariff>,
}

/// Reference to the book a document was priced with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookRef {
    pub operator: Operator,
    pub version: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub illustrative: bool,
}

/// Accepts a TOML date (`2026-01-01`) or a string holding one.
fn toml_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let value = toml::Value::deserialize(deserializer)?;
    let text = match &value {
        toml::Value::Datetime(datetime) => datetime.to_string(),
        toml::Value::String(text) => text.clone(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "expected a date like 2026-01-01, found {}",
                other.type_str()
            )));
        }
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a date like 2026-01-01")))
}

/// A value refused while reading: refused at parse so the refusal names the key and its line.
fn bounded<'de, D: Deserializer<'de>>(
    deserializer: D,
    what: &'static str,
    max: u32,
) -> Result<Decimal, D::Error> {
    let value = <Decimal as Deserialize>::deserialize(deserializer)?;
    if value > Decimal::from(max) {
        return Err(serde::de::Error::custom(OutOfRange::TooLarge {
            what,
            value,
            max: Decimal::from(max),
        }));
    }
    Ok(value)
}

/// A price, € per unit, at most `MAX_PRICE_EUR` (a negative one is refused by `validate`).
fn price<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    bounded(deserializer, "a price", MAX_PRICE_EUR)
}

/// A length in metres, at most `Metres::MAX`.
fn length<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    bounded(deserializer, "a length in metres", Metres::MAX_WHOLE)
}

/// A percentage, at most `MAX_MARKUP_PERCENT`.
fn percent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    bounded(deserializer, "a percentage", MAX_MARKUP_PERCENT)
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|byte| **byte == b'\n')
        .count()
        .saturating_add(1)
}

/// Parses and validates one book. `source_name` only labels the error messages.
pub fn parse_book(source_name: &str, text: &str) -> Result<TariffBook, TariffError> {
    let book: TariffBook = serde_path_to_error::deserialize(toml::Deserializer::new(text))
        .map_err(|error| {
            let path = error.path().to_string();
            let error = error.into_inner();
            match error.span() {
                // A value the schema refuses: its key and line, then why.
                Some(span) if path != "." => TariffError::BookValue {
                    source_name: source_name.to_owned(),
                    path,
                    line: line_of(text, span.start),
                    message: error.message().to_owned(),
                },
                _ => TariffError::BookSyntax {
                    source_name: source_name.to_owned(),
                    message: error.to_string().trim_end().replace('\n', " | "),
                },
            }
        })?;
    book.validate()?;
    Ok(book)
}

impl TariffBook {
    pub fn operator(&self) -> Operator {
        self.book.operator
    }

    pub fn version(&self) -> &str {
        &self.book.version
    }

    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.book.valid_from <= date && date <= self.book.valid_until
    }

    pub fn reference(&self) -> BookRef {
        BookRef {
            operator: self.book.operator,
            version: self.book.version.clone(),
            valid_from: self.book.valid_from,
            valid_until: self.book.valid_until,
            illustrative: self.book.illustrative,
        }
    }

    fn invalid(&self, path: &str, reason: impl Into<String>) -> TariffError {
        TariffError::BookInvalid {
            version: self.book.version.clone(),
            path: path.to_owned(),
            reason: reason.into(),
        }
    }

    /// Every price with its path, for the bounds check.
    fn prices(&self) -> Vec<(String, Decimal)> {
        let mut prices: Vec<(String, Decimal)> = Vec::new();
        let mut add = |path: &str, value: Decimal| prices.push((path.to_owned(), value));
        if let Some(s) = &self.servicing {
            add("servicing.dossier_fee", s.dossier_fee);
            add("servicing.per_metre", s.per_metre);
            add(
                "servicing.public_lighting_per_candelabra",
                s.public_lighting_per_candelabra,
            );
            add(
                "servicing.indoor_local_price_per_m2",
                s.indoor_local_price_per_m2,
            );
        }
        if let Some(e) = &self.electricity {
            for (i, band) in e.bands.iter().enumerate() {
                add(&format!("electricity.bands[{i}].price"), band.price);
            }
            add("electricity.per_dwelling_flat", e.per_dwelling_flat);
        }
        if let Some(g) = &self.gas {
            add("gas.standard_new_dwelling", g.standard_new_dwelling);
            add(
                "gas.standard_existing_dwelling",
                g.standard_existing_dwelling,
            );
            add("gas.extra_metre", g.extra_metre);
        }
        if let Some(w) = &self.water {
            add("water.registration_fee", w.registration_fee);
            add("water.standard_parts", w.standard_parts);
            add("water.standard_labour", w.standard_labour);
            add("water.included_metres", w.included_metres);
            add("water.extra_metre_parts", w.extra_metre_parts);
            add("water.extra_metre_labour", w.extra_metre_labour);
            add("water.overhead_markup_percent", w.overhead_markup_percent);
            add("water.extension_per_metre", w.extension_per_metre);
            add(
                "water.extension_subsidy_per_metre",
                w.extension_subsidy_per_metre,
            );
            add("water.pressure_installation", w.pressure_installation);
            add(
                "water.pressure_installation_subsidy",
                w.pressure_installation_subsidy,
            );
        }
        if let Some(t) = &self.telecom {
            add("telecom.standard", t.standard);
        }
        prices
    }

    /// The rules of the format beyond its schema.
    pub fn validate(&self) -> Result<(), TariffError> {
        let header = &self.book;
        if header.version.trim().is_empty() {
            return Err(self.invalid("book.version", "must not be empty"));
        }
        if header.valid_until < header.valid_from {
            return Err(self.invalid(
                "book.valid_until",
                format!(
                    "({}) is before book.valid_from ({})",
                    header.valid_until, header.valid_from
                ),
            ));
        }
        // Each operator's book carries exactly the sections its engines read.
        let present = [
            ("servicing", self.servicing.is_some()),
            ("electricity", self.electricity.is_some()),
            ("gas", self.gas.is_some()),
            ("water", self.water.is_some()),
            ("telecom", self.telecom.is_some()),
        ];
        let expected: &[&str] = match header.operator {
            Operator::Ores => &["servicing", "electricity", "gas"],
            Operator::Swde => &["water"],
            Operator::Proximus | Operator::Voo => &["telecom"],
        };
        for (section, is_present) in present {
            let wanted = expected.contains(&section);
            if wanted && !is_present {
                return Err(self.invalid(
                    section,
                    format!("is missing: a {} book needs [{section}]", header.operator),
                ));
            }
            if !wanted && is_present {
                return Err(self.invalid(
                    section,
                    format!("does not belong in a {} book", header.operator),
                ));
            }
        }
        for (path, value) in self.prices() {
            if value.is_sign_negative() && !value.is_zero() {
                return Err(TariffError::NegativePrice {
                    version: header.version.clone(),
                    path,
                    value,
                });
            }
            // Also checked here for a book built in code rather than parsed.
            let max = match path.as_str() {
                "water.included_metres" => Metres::MAX_WHOLE,
                "water.overhead_markup_percent" => MAX_MARKUP_PERCENT,
                _ => MAX_PRICE_EUR,
            };
            if value > Decimal::from(max) {
                return Err(self.invalid(&path, format!("cannot be more than {max}: {value}")));
            }
        }
        if let Some(w) = &self.water
            && w.extension_subsidy_per_metre > w.extension_per_metre
        {
            return Err(self.invalid(
                "water.extension_subsidy_per_metre",
                "exceeds water.extension_per_metre: the subsidy cannot be more than the work",
            ));
        }
        if let Some(e) = &self.electricity {
            if e.bands.is_empty() {
                return Err(self.invalid("electricity.bands", "must list at least one band"));
            }
            let mut seen: Vec<ElectricityBand> = Vec::new();
            for (i, band) in e.bands.iter().enumerate() {
                let path = format!("electricity.bands[{i}].band");
                let parsed = ElectricityBand::parse(&band.band).map_err(|_| {
                    self.invalid(
                        &path,
                        format!("`{}` is not a band (1x25 … 1x63, 3x16 … 3x63)", band.band),
                    )
                })?;
                if seen.contains(&parsed) {
                    return Err(self.invalid(&path, format!("`{}` is listed twice", band.band)));
                }
                seen.push(parsed);
            }
        }
        Ok(())
    }

    pub fn band_price(&self, band: ElectricityBand) -> Option<Decimal> {
        let code = band.code();
        self.electricity
            .as_ref()?
            .bands
            .iter()
            .find(|b| b.band.trim() == code)
            .map(|b| b.price)
    }
}

/// All books of all operators, without overlaps within an operator.
#[derive(Debug, Clone, Default)]
pub struct BookSet {
    books: Vec<TariffBook>,
}

impl BookSet {
    /// Parses and adds each `(name, text)`; the first error stops.
    pub fn from_texts<'a>(
        texts: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, TariffError> {
        let mut set = Self::default();
        for (name, text) in texts {
            set.insert(parse_book(name, text)?)?;
        }
        Ok(set)
    }

    /// The books shipped with the binary.
    pub fn embedded() -> Result<Self, TariffError> {
        Self::from_texts(EMBEDDED_BOOKS)
    }

    /// Adds a validated book, refusing one whose validity overlaps another of its operator.
    pub fn insert(&mut self, book: TariffBook) -> Result<(), TariffError> {
        book.validate()?;
        for other in self
            .books
            .iter()
            .filter(|b| b.operator() == book.operator())
        {
            let start = other.book.valid_from.max(book.book.valid_from);
            let end = other.book.valid_until.min(book.book.valid_until);
            if start <= end {
                return Err(TariffError::OverlappingBooks {
                    operator: book.operator(),
                    first: other.book.version.clone(),
                    second: book.book.version.clone(),
                    day: start,
                });
            }
        }
        self.books.push(book);
        self.books
            .sort_by_key(|b| (b.operator(), b.book.valid_from));
        Ok(())
    }

    pub fn books(&self) -> &[TariffBook] {
        &self.books
    }

    /// The book of `operator` in force on `date` (V-5; V-8.3 passes the modification date).
    /// Refused with the books around the date: the last one that ended, the first one to come.
    pub fn in_force(
        &self,
        operator: Operator,
        date: NaiveDate,
    ) -> Result<&TariffBook, TariffError> {
        let own = || self.books.iter().filter(move |b| b.operator() == operator);
        if let Some(book) = own().find(|b| b.in_force_on(date)) {
            return Ok(book);
        }
        let gap = super::gap::TariffGap::around(self, operator, date);
        let nearest = match (&gap.previous_book, &gap.next_book) {
            (None, None) => format!("there is no {operator} book at all"),
            (Some(last), None) => format!(
                "the last book, {}, ended on {} and no later book exists yet",
                last.version, last.valid_until
            ),
            (None, Some(first)) => format!(
                "the first book, {}, starts on {}",
                first.version, first.valid_from
            ),
            (Some(previous), Some(next)) => format!(
                "the day falls between {}, which ended on {}, and {}, which starts on {}",
                previous.version, previous.valid_until, next.version, next.valid_from
            ),
        };
        let covered = own()
            .map(|b| {
                format!(
                    "{} {}..{}",
                    b.book.version, b.book.valid_from, b.book.valid_until
                )
            })
            .collect::<Vec<_>>();
        Err(TariffError::NoBookInForce {
            operator,
            date,
            nearest,
            covered: if covered.is_empty() {
                "none".to_owned()
            } else {
                covered.join(", ")
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TELECOM: &str = r#"
[book]
operator = "voo"
version = "VOO-T1"
valid_from = 2026-01-01
valid_until = 2026-12-31

[telecom]
standard = "0.00"
"#;

    fn error_of(text: &str) -> String {
        parse_book("upload.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn embedded_books_parse_and_do_not_overlap() {
        let set = BookSet::embedded().unwrap();
        assert_eq!(set.books().len(), EMBEDDED_BOOKS.len());
        for book in set.books() {
            assert!(book.book.illustrative, "{}", book.version());
        }
        let versions: Vec<&str> = set.books().iter().map(TariffBook::version).collect();
        assert_eq!(
            versions,
            [
                "ORES-2025-demo.1",
                "ORES-2026-demo.1",
                "ORES-2027-demo.1",
                "SWDE-2026-demo.1",
                "SWDE-2027-demo.1",
                "PROXIMUS-2026-demo.1",
                "PROXIMUS-2027-demo.1",
                "VOO-2026-demo.1",
                "VOO-2027-demo.1",
            ]
        );
        // Every operator has a book on every day of 2026 and 2027, the year turn included.
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(2027, 12, 31).unwrap();
        for operator in Operator::ALL {
            for day in first.iter_days().take_while(|day| *day <= last) {
                assert!(set.in_force(operator, day).is_ok(), "{operator} {day}");
            }
        }
    }

    #[test]
    fn v_5_a_day_without_book_names_the_books_around_it() {
        let mut set = BookSet::default();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let message = set
            .in_force(Operator::Voo, day(2026, 3, 1))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "no voo tariff book is in force on 2026-03-01: there is no voo book at all \
             (books cover: none) (rule V-5)"
        );
        set.insert(parse_book("a", TELECOM).unwrap()).unwrap();
        // 2027 is left out: 2028 is the next book.
        let later = TELECOM
            .replace("VOO-T1", "VOO-T3")
            .replace("2026-", "2028-");
        set.insert(parse_book("c", &later).unwrap()).unwrap();
        let error = set.in_force(Operator::Voo, day(2029, 1, 1)).unwrap_err();
        assert_eq!(
            error,
            TariffError::NoBookInForce {
                operator: Operator::Voo,
                date: day(2029, 1, 1),
                nearest: "the last book, VOO-T3, ended on 2028-12-31 and no later book exists yet"
                    .into(),
                covered: "VOO-T1 2026-01-01..2026-12-31, VOO-T3 2028-01-01..2028-12-31".into(),
            }
        );
        assert_eq!(
            error.to_string(),
            "no voo tariff book is in force on 2029-01-01: the last book, VOO-T3, ended on \
             2028-12-31 and no later book exists yet (books cover: VOO-T1 \
             2026-01-01..2026-12-31, VOO-T3 2028-01-01..2028-12-31) (rule V-5)"
        );
        let message = set
            .in_force(Operator::Voo, day(2025, 12, 31))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(": the first book, VOO-T1, starts on 2026-01-01 (books cover:"),
            "{message}"
        );
        let message = set
            .in_force(Operator::Voo, day(2027, 6, 30))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(
                ": the day falls between VOO-T1, which ended on 2026-12-31, and VOO-T3, \
                 which starts on 2028-01-01 (books cover:"
            ),
            "{message}"
        );
        // Another operator's books are not named.
        let message = set
            .in_force(Operator::Proximus, day(2026, 3, 1))
            .unwrap_err()
            .to_string();
        assert!(message.contains("(books cover: none)"), "{message}");
    }

    #[test]
    fn a_minimal_book_parses_with_bare_or_quoted_dates_and_numbers() {
        let book = parse_book("t", TELECOM).unwrap();
        assert_eq!(book.version(), "VOO-T1");
        let quoted = TELECOM
            .replace("2026-01-01", "\"2026-01-01\"")
            .replace("\"0.00\"", "12.5");
        let book = parse_book("t", &quoted).unwrap();
        assert_eq!(book.telecom.unwrap().standard, Decimal::new(125, 1));
    }

    #[test]
    fn syntax_and_schema_errors_name_the_key() {
        let message = error_of(&TELECOM.replace("standard =", "standrd ="));
        assert!(message.contains("upload.toml"), "{message}");
        assert!(message.contains("standrd"), "{message}");
        let message = error_of(&TELECOM.replace("\"0.00\"", "\"free\""));
        assert!(
            message.contains("standard") || message.contains("line"),
            "{message}"
        );
        let message = error_of(&TELECOM.replace("2026-12-31", "\"31/12/2026\""));
        assert!(message.contains("31/12/2026"), "{message}");
        let message = error_of(&TELECOM.replace("operator = \"voo\"", "operator = \"acme\""));
        assert!(message.contains("acme"), "{message}");
    }

    #[test]
    fn negative_prices_are_refused_with_their_path() {
        let error = parse_book("t", &TELECOM.replace("\"0.00\"", "\"-1\"")).unwrap_err();
        assert_eq!(
            error,
            TariffError::NegativePrice {
                version: "VOO-T1".into(),
                path: "telecom.standard".into(),
                value: Decimal::from(-1),
            }
        );
        let ores = EMBEDDED_BOOKS[1]
            .1
            .replace("price = \"1450.00\"", "price = \"-1450.00\"");
        let message = parse_book("ores", &ores).unwrap_err().to_string();
        assert!(message.contains("electricity.bands["), "{message}");
    }

    #[test]
    fn prices_lengths_and_percentages_beyond_their_bounds_are_refused_with_key_and_line() {
        // The attack: a price at the top of the decimal range made pricing overflow.
        let huge = TELECOM.replace("\"0.00\"", "\"79228162514264337593543950335\"");
        assert_eq!(
            parse_book("upload", &huge).unwrap_err(),
            TariffError::BookValue {
                source_name: "upload".into(),
                path: "telecom.standard".into(),
                line: 9,
                message: "a price cannot be more than 10000000: 79228162514264337593543950335"
                    .into(),
            }
        );
        // The bound itself is accepted.
        let top = TELECOM.replace("\"0.00\"", "\"10000000\"");
        assert_eq!(
            parse_book("t", &top).unwrap().telecom.unwrap().standard,
            Decimal::from(MAX_PRICE_EUR)
        );
        let ores = EMBEDDED_BOOKS[1]
            .1
            .replace("price = \"2550.00\"", "price = \"10000000.01\"");
        assert_eq!(
            parse_book("ores", &ores).unwrap_err().to_string(),
            "tariff book ores: `electricity.bands[11].price` (line 64): a price cannot be more \
             than 10000000: 10000000.01"
        );
        let swde = EMBEDDED_BOOKS[2].1;
        let message = parse_book("swde", &swde.replace("\"25\"  ", "\"100.5\""))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(
                "`water.overhead_markup_percent` (line 30): a percentage cannot be more than \
                 100: 100.5"
            ),
            "{message}"
        );
        let message = parse_book("swde", &swde.replace("\"10\"  ", "\"10001\""))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("`water.included_metres` (line 27): a length in metres cannot"),
            "{message}"
        );
        // A book built in code meets the same bounds.
        let mut built = parse_book("t", TELECOM).unwrap();
        built.telecom.as_mut().unwrap().standard = Decimal::MAX;
        assert_eq!(
            built.validate().unwrap_err().to_string(),
            "tariff book VOO-T1: `telecom.standard` cannot be more than 10000000: \
             79228162514264337593543950335"
        );
    }

    #[test]
    fn sections_dates_and_bands_are_checked() {
        let message =
            error_of(&TELECOM.replace("valid_until = 2026-12-31", "valid_until = 2025-12-31"));
        assert!(message.contains("book.valid_until"), "{message}");
        let message = error_of(&TELECOM.replace("[telecom]\nstandard = \"0.00\"", ""));
        assert!(
            message.contains("telecom") && message.contains("missing"),
            "{message}"
        );
        let message = error_of(&format!(
            "{TELECOM}\n[gas]\nstandard_new_dwelling = 0\nstandard_existing_dwelling = 0\nextra_metre = 0\n"
        ));
        assert!(message.contains("does not belong"), "{message}");
        let ores = EMBEDDED_BOOKS[1]
            .1
            .replace("band = \"3x63\"", "band = \"3x25\"");
        let message = parse_book("ores", &ores).unwrap_err().to_string();
        assert!(message.contains("listed twice"), "{message}");
        let ores = EMBEDDED_BOOKS[1]
            .1
            .replace("band = \"3x63\"", "band = \"3x64\"");
        let message = parse_book("ores", &ores).unwrap_err().to_string();
        assert!(message.contains("3x64"), "{message}");
        let message = error_of(&TELECOM.replace("VOO-T1", " "));
        assert!(message.contains("book.version"), "{message}");
    }

    #[test]
    fn v_5_overlapping_validity_within_an_operator_is_refused() {
        let mut set = BookSet::default();
        set.insert(parse_book("a", TELECOM).unwrap()).unwrap();
        let overlapping = TELECOM
            .replace("VOO-T1", "VOO-T2")
            .replace("valid_from = 2026-01-01", "valid_from = 2026-12-01")
            .replace("valid_until = 2026-12-31", "valid_until = 2027-12-31");
        let error = set
            .insert(parse_book("b", &overlapping).unwrap())
            .unwrap_err();
        assert_eq!(
            error,
            TariffError::OverlappingBooks {
                operator: Operator::Voo,
                first: "VOO-T1".into(),
                second: "VOO-T2".into(),
                day: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            }
        );
        // The next year is fine, and another operator may share the dates.
        let next = overlapping.replace("valid_from = 2026-12-01", "valid_from = 2027-01-01");
        set.insert(parse_book("c", &next).unwrap()).unwrap();
        let proximus = TELECOM.replace("\"voo\"", "\"proximus\"");
        set.insert(parse_book("d", &proximus).unwrap()).unwrap();
        let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        assert_eq!(
            set.in_force(Operator::Voo, day).unwrap().version(),
            "VOO-T2"
        );
        let before = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let message = set.in_force(Operator::Voo, before).unwrap_err().to_string();
        assert!(
            message.contains("VOO-T1 2026-01-01..2026-12-31"),
            "{message}"
        );
    }
}
