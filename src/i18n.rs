//! The one translation layer: every user-facing text comes from `locales/<lang>.toml`.
//! French is complete and is the fallback for any key a language lacks.

use std::{collections::HashMap, sync::LazyLock};

use crate::domain::{InputError, Language};

type Catalog = HashMap<String, String>;

static CATALOGS: LazyLock<HashMap<Language, Catalog>> = LazyLock::new(|| {
    HashMap::from([
        (
            Language::Fr,
            parse_catalog(include_str!("../locales/fr.toml")),
        ),
        (
            Language::En,
            parse_catalog(include_str!("../locales/en.toml")),
        ),
    ])
});

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, out),
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            other => {
                out.insert(full, other.to_string());
            }
        }
    }
}

/// Parses a nested TOML catalog into dotted keys (`[home] title = ".."` → `home.title`).
pub fn parse_catalog(text: &str) -> Catalog {
    // The catalogs are compiled in and checked by tests; a broken one is a build defect.
    let table: toml::Table = text.parse().expect("translation catalog is valid TOML");
    let mut out = Catalog::new();
    flatten("", &table, &mut out);
    out
}

pub fn catalog(language: Language) -> &'static Catalog {
    &CATALOGS[&language]
}

/// Translator for one language, handed to every template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr(pub Language);

impl Tr {
    pub fn language(&self) -> Language {
        self.0
    }

    pub fn lang(&self) -> &'static str {
        self.0.code()
    }

    /// The text of `key`, falling back to French, then to the key itself.
    pub fn t<'k>(&self, key: &'k str) -> &'k str {
        catalog(self.0)
            .get(key)
            .or_else(|| catalog(Language::Fr).get(key))
            .map(String::as_str)
            .unwrap_or_else(|| {
                tracing::warn!(key, "missing translation");
                key
            })
    }

    /// The text of the key `{prefix}.{code}`, e.g. the label of a state code.
    pub fn keyed(&self, prefix: &str, code: impl std::fmt::Display) -> String {
        self.t(&format!("{prefix}.{code}")).to_owned()
    }

    /// The text of `key` with `{name}` placeholders replaced.
    pub fn f<'a>(&self, key: &str, args: impl AsRef<[(&'a str, &'a str)]>) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args.as_ref() {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The message of a refused input.
    pub fn error(&self, error: &InputError) -> String {
        let args = error.args();
        let borrowed: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.f(&format!("error.{}", error.key()), &borrowed)
    }

    /// Label of a request state.
    pub fn state(&self, code: &str) -> String {
        self.keyed("state", code)
    }

    /// Label of a service.
    pub fn service(&self, code: &str) -> String {
        self.keyed("service", code)
    }

    /// Label of a timeline event kind.
    pub fn event(&self, kind: &str) -> String {
        self.keyed("event", kind)
    }

    /// An amount in euros as the language writes it: `1 234,50 €` or `€1,234.50`.
    pub fn money(&self, amount: rust_decimal::Decimal) -> String {
        let rounded = amount.round_dp(2);
        let negative = rounded.is_sign_negative() && !rounded.is_zero();
        let text = format!("{:.2}", rounded.abs());
        let (units, cents) = text.split_once('.').unwrap_or((&text, "00"));
        let (group, decimal) = match self.0 {
            Language::Fr => ('\u{202f}', ','),
            Language::En => (',', '.'),
        };
        let mut grouped = String::new();
        for (index, digit) in units.chars().enumerate() {
            if index > 0 && (units.len() - index) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(digit);
        }
        let sign = if negative { "−" } else { "" };
        match self.0 {
            Language::Fr => format!("{sign}{grouped}{decimal}{cents} €"),
            Language::En => format!("{sign}€{grouped}{decimal}{cents}"),
        }
    }

    /// A day written out: `23 novembre 2026`, `23 November 2026`.
    pub fn date(&self, day: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let month = self.keyed("month", day.month());
        format!("{} {month} {}", day.day(), day.year())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RequestState, Service};

    #[test]
    fn every_language_has_every_french_key() {
        let french = catalog(Language::Fr);
        for language in Language::ALL {
            let other = catalog(language);
            let missing: Vec<&String> = french.keys().filter(|k| !other.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{language}: missing {missing:?}");
            let extra: Vec<&String> = other.keys().filter(|k| !french.contains_key(*k)).collect();
            assert!(extra.is_empty(), "{language}: unknown keys {extra:?}");
        }
    }

    #[test]
    fn every_state_service_and_error_is_translated() {
        let french = catalog(Language::Fr);
        for state in RequestState::ALL {
            assert!(french.contains_key(&format!("state.{}", state.code())));
        }
        for service in Service::ALL {
            assert!(french.contains_key(&format!("service.{}", service.code())));
        }
        let errors = [
            InputError::Required,
            InputError::TooLong { max: 1 },
            InputError::Email,
            InputError::Phone,
            InputError::PostcodeFormat,
            InputError::PostcodeUnknown,
            InputError::CompanyNumberFormat,
            InputError::CompanyNumberCheck,
            InputError::CompanyNumberRequired,
            InputError::Choice,
            InputError::DwellingsRange,
            InputError::TooManyDwellings { count: 6 },
            InputError::NoService,
            InputError::ElectricityBandRequired,
            InputError::Date,
            InputError::DateInPast,
            InputError::PeriodOrder,
            InputError::MapPoint,
            InputError::LocationRequired,
            InputError::Number,
        ];
        for error in errors {
            assert!(
                french.contains_key(&format!("error.{}", error.key())),
                "{error:?}"
            );
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let message = Tr(Language::Fr).error(&InputError::TooManyDwellings { count: 6 });
        assert!(message.contains('6'), "{message}");
        assert!(message.contains("C-1"), "{message}");
    }
}
