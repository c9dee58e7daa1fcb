//! The one translation layer: every user-facing text comes from `locales/<lang>.toml`.
//! French is complete and is the fallback for any key a language lacks.

use std::{borrow::Borrow, collections::HashMap, sync::LazyLock};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::Decimal;

use crate::domain::{InputError, Language};

/// Dotted keys to texts. Every page looks up a hundred or more keys, all ours and compiled
/// in: a fast hasher without keyed seeds suits them (no key comes from outside).
pub type Catalog = HashMap<String, String, foldhash::fast::FixedState>;

/// One language's catalogue as written (`catalog`), and as looked up: with the French text of
/// any key it lacks, so that a look-up is one hash.
struct Catalogs {
    written: Catalog,
    with_fallback: Catalog,
}

static CATALOGS: LazyLock<[Catalogs; 4]> = LazyLock::new(|| {
    let french = parse_catalog(include_str!("../locales/fr.toml"));
    let with_french = |written: Catalog| {
        let mut with_fallback = french.clone();
        with_fallback.extend(written.iter().map(|(k, v)| (k.clone(), v.clone())));
        Catalogs {
            written,
            with_fallback,
        }
    };
    [
        Catalogs {
            written: french.clone(),
            with_fallback: french.clone(),
        },
        with_french(parse_catalog(include_str!("../locales/en.toml"))),
        with_french(parse_catalog(include_str!("../locales/de.toml"))),
        with_french(parse_catalog(include_str!("../locales/nl.toml"))),
    ]
});

fn catalogs(language: Language) -> &'static Catalogs {
    let index = match language {
        Language::Fr => 0,
        Language::En => 1,
        Language::De => 2,
        Language::Nl => 3,
    };
    &CATALOGS[index]
}

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
    let mut out = Catalog::default();
    flatten("", &table, &mut out);
    out
}

/// A language's catalogue as written, without the French fallback.
pub fn catalog(language: Language) -> &'static Catalog {
    &catalogs(language).written
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

    /// Every language of the product, each with its own name (`Deutsch`), for a choice.
    pub fn languages(&self) -> Vec<(&'static str, String)> {
        Language::ALL
            .into_iter()
            .map(|language| (language.code(), Tr(language).keyed("language", language)))
            .collect()
    }

    /// The languages the reader can switch to: all but the page's own.
    pub fn other_languages(&self) -> Vec<(&'static str, String)> {
        let own = self.lang();
        self.languages()
            .into_iter()
            .filter(|(code, _)| *code != own)
            .collect()
    }

    /// The text of `key`, falling back to French, then to the key itself.
    pub fn t<'k>(&self, key: &'k str) -> &'k str {
        catalogs(self.0)
            .with_fallback
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| {
                tracing::warn!(key, "missing translation");
                key
            })
    }

    /// The text of the key `{prefix}.{code}`, e.g. the label of a state code.
    pub fn keyed(&self, prefix: &str, code: impl std::fmt::Display) -> String {
        // Pages look up hundreds of these: the key is written into a buffer kept per thread.
        thread_local! {
            static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        KEY.with(|key| match key.try_borrow_mut() {
            Ok(mut key) => {
                use std::fmt::Write as _;
                key.clear();
                let _ = write!(key, "{prefix}.{code}");
                self.t(&key).to_owned()
            }
            // A code whose text is itself looked up while being written.
            Err(_) => self.t(&format!("{prefix}.{code}")).to_owned(),
        })
    }

    /// The text of `key` with `{name}` placeholders replaced, and each plural choice
    /// `{name, plural, one {# demande} other {# demandes}}` resolved by the language's rule
    /// (`#` is the number).
    pub fn f<'a>(&self, key: &str, args: impl AsRef<[(&'a str, &'a str)]>) -> String {
        let args = args.as_ref();
        let mut text = std::borrow::Cow::Borrowed(self.t(key));
        // Most texts hold no plural choice: only those that do are parsed for one.
        if text.contains(", plural,") {
            for (name, value) in args {
                text = plural_choices(&text, name, value, self.0).into();
            }
        }
        fill(&text, args, self.0 == Language::Fr)
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

    /// A label and its value on one line: `Chantier : …`, `Site: …`.
    pub fn field(&self, key: &str, value: &str) -> String {
        self.f("format.field", [("label", self.t(key)), ("value", value)])
    }

    /// An amount in euros as written in the language: `1 234,56 €`, `€1,234.56`, `1.234,56 €`,
    /// and in Belgian Dutch (CLDR nl-BE) `€ 1.234,56`, the sign after the euro: `€ −0,50`.
    pub fn money(&self, amount: impl Borrow<Decimal>) -> String {
        let amount = *amount.borrow();
        match self.0 {
            Language::Fr => euros(amount),
            Language::De => {
                let (negative, units, cents) = split_amount(amount);
                format!(
                    "{}{},{cents} €",
                    if negative { "−" } else { "" },
                    group_thousands(&units, '.')
                )
            }
            Language::En => {
                let (negative, units, cents) = split_amount(amount);
                format!(
                    "{}€{}.{cents}",
                    if negative { "−" } else { "" },
                    group_thousands(&units, ',')
                )
            }
            Language::Nl => {
                let (negative, units, cents) = split_amount(amount);
                // A no-break space keeps the euro sign with its amount at a line end.
                format!(
                    "€\u{a0}{}{},{cents}",
                    if negative { "−" } else { "" },
                    group_thousands(&units, '.')
                )
            }
        }
    }

    /// A quantity or rate without useless zeros, with the language's decimal sign: `12,5`, `12.5`.
    pub fn number(&self, value: impl Borrow<Decimal>) -> String {
        self.decimal_text(&value.borrow().normalize().to_string())
    }

    /// An electricity band as people read it: `3 × 25 A (17,3 kVA)` (`17.3` in English).
    pub fn band(&self, band: crate::domain::ElectricityBand) -> String {
        self.decimal_text(&band.label())
    }

    /// A text whose numbers are written with a decimal point (`17.3 kVA`), with the
    /// language's decimal sign instead.
    pub fn decimal_text(&self, text: &str) -> String {
        match self.0 {
            Language::Fr | Language::De | Language::Nl => text.replace('.', ","),
            Language::En => text.to_owned(),
        }
    }

    /// A day written out: `23 novembre 2026`, `1er mars 2027`, `23 November 2026`,
    /// `1. März 2027`.
    pub fn date(&self, date: impl Borrow<NaiveDate>) -> String {
        let date = *date.borrow();
        let day = if date.day() == 1 {
            self.t("format.first_of_month").to_owned()
        } else {
            date.day().to_string()
        };
        let month = self.keyed("format.month", date.month());
        let year = date.year().to_string();
        self.f(
            "format.date",
            [
                ("day", day.as_str()),
                ("month", month.as_str()),
                ("year", year.as_str()),
            ],
        )
    }

    /// A day in figures: `23/11/2026` (French, English and Belgian Dutch), `23.11.2026` in German.
    pub fn numeric_date(&self, date: impl Borrow<NaiveDate>) -> String {
        let date = date.borrow();
        let separator = match self.0 {
            Language::Fr | Language::En | Language::Nl => '/',
            Language::De => '.',
        };
        // Written directly: chrono's `format` parses its pattern on every call, and pages
        // write dozens of dates.
        format!(
            "{:02}{separator}{:02}{separator}{:04}",
            date.day(),
            date.month(),
            date.year()
        )
    }

    /// A day and time in figures: `23/11/2026 14:05`, `23.11.2026 14:05`.
    pub fn numeric_datetime(&self, at: NaiveDateTime) -> String {
        format!(
            "{} {:02}:{:02}",
            self.numeric_date(at.date()),
            at.hour(),
            at.minute()
        )
    }

    /// A wait, rounded up to what a reader plans with: `30 secondes`, `1 minute`, `15 Minuten`,
    /// `23 hours` (minutes up to two hours, then hours).
    pub fn wait(&self, wait: std::time::Duration) -> String {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let (count, unit) = match secs.max(1) {
            s @ 0..60 => (s, "second"),
            s @ 60..7200 => (s.div_ceil(60), "minute"),
            s => (s.div_ceil(3600), "hour"),
        };
        let key = if count == 1 {
            format!("format.wait.{unit}")
        } else {
            format!("format.wait.{unit}s")
        };
        self.f(&key, [("n", count.to_string().as_str())])
    }

    /// A day with its weekday: `mardi 9 mars 2027`, `Tuesday 9 March 2027`,
    /// `Dienstag, 9. März 2027`.
    pub fn weekday_date(&self, date: impl Borrow<NaiveDate>) -> String {
        let date = *date.borrow();
        let weekday = self.keyed("format.weekday", date.weekday().number_from_monday());
        let written = self.date(date);
        self.f(
            "format.weekday_date",
            [("weekday", weekday.as_str()), ("date", written.as_str())],
        )
    }
}

/// Sign, whole euros and cents of an amount rounded to the cent.
fn split_amount(amount: Decimal) -> (bool, String, String) {
    let rounded = amount.round_dp(2);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let text = format!("{:.2}", rounded.abs());
    let (units, cents) = text.split_once('.').unwrap_or((&text, "00"));
    (negative, units.to_owned(), cents.to_owned())
}

fn group_thousands(units: &str, separator: char) -> String {
    let mut grouped = String::new();
    for (index, digit) in units.chars().enumerate() {
        if index > 0 && (units.len() - index).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// Euros as written in Belgium: `1 234,50 €` (narrow no-break spaces between thousands).
pub fn euros(amount: Decimal) -> String {
    let (negative, units, cents) = split_amount(amount);
    format!(
        "{}{},{cents} €",
        if negative { "−" } else { "" },
        group_thousands(&units, '\u{202f}')
    )
}

/// Whether a French word before `value` elides ("d'octobre", "l'eau").
fn starts_with_vowel(value: &str) -> bool {
    value
        .chars()
        .next()
        .is_some_and(|c| "aeiouyàâäéèêëîïôöùûüAEIOUYÀÂÉÈÊËÎÏÔÖÙÛÜ".contains(c))
}

/// `text` with each `{name}` of `args` replaced by its value, in one pass: a value is never
/// read for placeholders itself, and a `{…}` that names no argument stays as written. In
/// French (`elide`), a value starting with a vowel elides the word before it.
fn fill(text: &str, args: &[(&str, &str)], elide: bool) -> String {
    let mut out =
        String::with_capacity(text.len() + args.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let argument = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(candidate, _)| *candidate == name)
                .map(|(_, value)| (*value, close))
        });
        match argument {
            Some((value, close)) => {
                if elide && starts_with_vowel(value) {
                    elide_last_word(&mut out);
                }
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// French elides before a vowel: "Carte des travaux d'octobre", never "de octobre" — `de`,
/// `le` and `que` just before the value (a word of their own) lose their vowel.
fn elide_last_word(out: &mut String) {
    let Some(before) = out.strip_suffix(' ') else {
        return;
    };
    for word in ["de", "De", "le", "Le", "que"] {
        if let Some(head) = before.strip_suffix(word)
            && (head.is_empty() || head.ends_with(' '))
        {
            out.truncate(head.len() + word.len() - 1);
            out.push('\'');
            return;
        }
    }
}

/// CLDR's cardinal rule: "one" for French 0 and 1 (i = 0, 1), for English, German and Dutch 1 only;
/// "other" for anything else, or a value that is not a whole number.
fn plural_category(value: &str, language: Language) -> &'static str {
    match (value.trim().parse::<u64>(), language) {
        (Ok(0 | 1), Language::Fr) | (Ok(1), _) => "one",
        _ => "other",
    }
}

/// Resolves every `{name, plural, one {…} other {…}}` of `text` for `value`; a malformed
/// choice is left as written (the catalogue test catches it).
fn plural_choices(text: &str, name: &str, value: &str, language: Language) -> String {
    let opening = format!("{{{name}, plural,");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&opening) {
        out.push_str(&rest[..start]);
        let after = &rest[start + opening.len()..];
        let Some((options, consumed)) = plural_options(after) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let category = plural_category(value, language);
        let exact = value.trim();
        let chosen = options
            .iter()
            .find(|(selector, _)| selector.strip_prefix('=') == Some(exact))
            .or_else(|| options.iter().find(|(selector, _)| *selector == category))
            .or_else(|| options.iter().find(|(selector, _)| *selector == "other"))
            .map(|(_, body)| *body)
            .unwrap_or_default();
        for (index, part) in chosen.split('#').enumerate() {
            if index > 0 {
                out.push_str(value);
            }
            out.push_str(part);
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// `one {…} other {…}}` → the options and how many bytes up to the closing brace.
fn plural_options(text: &str) -> Option<(Vec<(&str, &str)>, usize)> {
    let mut options = Vec::new();
    let mut position = 0;
    loop {
        let rest = &text[position..];
        let trimmed = rest.trim_start();
        position += rest.len() - trimmed.len();
        if trimmed.starts_with('}') {
            return Some((options, position + 1));
        }
        let open = trimmed.find('{')?;
        let selector = trimmed[..open].trim();
        let body_start = position + open + 1;
        let close = text[body_start..].find('}')? + body_start;
        options.push((selector, &text[body_start..close]));
        position = close + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RequestState, Service};

    #[test]
    fn plural_choices_follow_each_languages_rule() {
        let message = "{count, plural, one {# demande} other {# demandes}} ; {count} au total";
        let fr = |n: &str| plural_choices(message, "count", n, Language::Fr);
        // French: 0 and 1 are singular.
        assert_eq!(fr("0"), "0 demande ; {count} au total");
        assert_eq!(fr("1"), "1 demande ; {count} au total");
        assert_eq!(fr("2"), "2 demandes ; {count} au total");
        let en = "{count, plural, =0 {no request} one {# request} other {# requests}}";
        let en = |n: &str| plural_choices(en, "count", n, Language::En);
        assert_eq!(en("0"), "no request");
        assert_eq!(en("1"), "1 request");
        assert_eq!(en("12"), "12 requests");
        let de = "{days, plural, one {# Tag} other {# Tage}}";
        assert_eq!(plural_choices(de, "days", "0", Language::De), "0 Tage");
        assert_eq!(plural_choices(de, "days", "1", Language::De), "1 Tag");
        // Through `f`, with other arguments around.
        assert_eq!(
            Tr(Language::Fr).f(
                "queue.caption",
                [("count", "1"), ("first", "1"), ("last", "1")]
            ),
            "1 demande ; 1 à 1 affichée"
        );
    }

    #[test]
    fn french_elides_de_before_a_vowel_and_only_there() {
        let fr = Tr(Language::Fr);
        assert_eq!(
            fr.f("works.map_title", [("month", "octobre 2026")]),
            "Carte des travaux d'octobre 2026"
        );
        assert_eq!(
            fr.f("works.map_title", [("month", "novembre 2026")]),
            "Carte des travaux de novembre 2026"
        );
        assert_eq!(
            Tr(Language::En).f("works.map_title", [("month", "October 2026")]),
            "Map of the works in October 2026"
        );
    }

    #[test]
    fn bands_are_written_with_the_languages_decimal_mark() {
        let band = crate::domain::ElectricityBand::parse("3x25").unwrap();
        assert_eq!(Tr(Language::Fr).band(band), "3 × 25 A (17,3 kVA)");
        assert_eq!(Tr(Language::De).band(band), "3 × 25 A (17,3 kVA)");
        assert_eq!(Tr(Language::En).band(band), "3 × 25 A (17.3 kVA)");
    }

    #[test]
    fn no_message_writes_a_plural_in_parentheses() {
        for language in Language::ALL {
            for (key, text) in catalog(language) {
                assert!(
                    !text.contains("(s)") && !text.contains("(n)") && !text.contains("(e)"),
                    "{language}: {key} = {text}"
                );
            }
        }
    }

    #[test]
    fn waits_are_rounded_up_to_what_a_reader_plans_with() {
        use std::time::Duration;
        let fr = Tr(Language::Fr);
        assert_eq!(fr.wait(Duration::from_millis(300)), "1 seconde");
        assert_eq!(fr.wait(Duration::from_millis(19_200)), "20 secondes");
        assert_eq!(fr.wait(Duration::from_secs(60)), "1 minute");
        assert_eq!(fr.wait(Duration::from_secs(61)), "2 minutes");
        assert_eq!(
            Tr(Language::De).wait(Duration::from_secs(899)),
            "15 Minuten"
        );
        assert_eq!(
            Tr(Language::En).wait(Duration::from_secs(7199)),
            "120 minutes"
        );
        assert_eq!(Tr(Language::En).wait(Duration::from_secs(7200)), "2 hours");
        assert_eq!(
            Tr(Language::En).wait(Duration::from_secs(86_399)),
            "24 hours"
        );
        assert_eq!(
            Tr(Language::De).wait(Duration::from_secs(3600 * 24 + 1)),
            "25 Stunden"
        );
    }

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
        for error in crate::domain::PaymentRefError::ALL {
            assert!(french.contains_key(error.key()), "{error:?}");
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
            InputError::TooLarge { max: "1".into() },
            InputError::PlannedFrontagesTotal { max: 1 },
            InputError::WebhookUrl(crate::domain::webhook::UrlRefusal::Invalid),
            InputError::WebhookUrl(crate::domain::webhook::UrlRefusal::NotHttps),
            InputError::WebhookUrl(crate::domain::webhook::UrlRefusal::LocalHttpOff),
            InputError::WebhookUrl(crate::domain::webhook::UrlRefusal::Credentials),
            InputError::WebhookNoEvent,
        ];
        for error in errors {
            assert!(
                french.contains_key(&format!("error.{}", error.key())),
                "{error:?}"
            );
        }
    }

    #[test]
    fn euros_are_written_the_belgian_way() {
        assert_eq!(euros(Decimal::new(123450, 2)), "1\u{202f}234,50 €");
        assert_eq!(euros(Decimal::new(-5, 1)), "−0,50 €");
        assert_eq!(euros(Decimal::ZERO), "0,00 €");
        assert_eq!(
            euros(Decimal::new(100_000_000, 2)),
            "1\u{202f}000\u{202f}000,00 €"
        );
    }

    #[test]
    fn money_dates_and_numbers_follow_the_language() {
        let fr = Tr(Language::Fr);
        let en = Tr(Language::En);
        let amount = Decimal::new(123456, 2);
        assert_eq!(fr.money(amount), "1\u{202f}234,56 €");
        assert_eq!(en.money(amount), "€1,234.56");
        assert_eq!(en.money(Decimal::new(-5, 1)), "−€0.50");
        assert_eq!(en.money(Decimal::new(100_000_000, 2)), "€1,000,000.00");
        assert_eq!(en.money(Decimal::ZERO), "€0.00");
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(fr.date(day), "23 novembre 2026");
        assert_eq!(en.date(day), "23 November 2026");
        let first = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        assert_eq!(fr.date(first), "1er mars 2027");
        assert_eq!(en.date(first), "1 March 2027");
        let tuesday = NaiveDate::from_ymd_opt(2027, 3, 9).unwrap();
        assert_eq!(fr.weekday_date(tuesday), "mardi 9 mars 2027");
        assert_eq!(en.weekday_date(tuesday), "Tuesday 9 March 2027");
        assert_eq!(fr.number(Decimal::new(1250, 2)), "12,5");
        assert_eq!(en.number(Decimal::new(1250, 2)), "12.5");
        assert_eq!(fr.number(Decimal::new(400, 2)), "4");
    }

    #[test]
    fn german_money_dates_and_numbers() {
        let de = Tr(Language::De);
        assert_eq!(de.money(Decimal::new(123456, 2)), "1.234,56 €");
        assert_eq!(de.money(Decimal::new(-5, 1)), "−0,50 €");
        assert_eq!(de.money(Decimal::new(100_000_000, 2)), "1.000.000,00 €");
        assert_eq!(de.money(Decimal::ZERO), "0,00 €");
        assert_eq!(
            de.date(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            "23. November 2026"
        );
        assert_eq!(
            de.date(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
            "1. März 2027"
        );
        assert_eq!(
            de.weekday_date(NaiveDate::from_ymd_opt(2027, 3, 9).unwrap()),
            "Dienstag, 9. März 2027"
        );
        assert_eq!(de.number(Decimal::new(1250, 2)), "12,5");
        let day = NaiveDate::from_ymd_opt(2027, 3, 9).unwrap();
        assert_eq!(de.numeric_date(day), "09.03.2027");
        assert_eq!(Tr(Language::Fr).numeric_date(day), "09/03/2027");
        assert_eq!(
            de.numeric_datetime(day.and_hms_opt(14, 5, 0).unwrap()),
            "09.03.2027 14:05"
        );
        assert_eq!(de.field("offer.site", "Eupen"), "Baustelle: Eupen");
    }

    #[test]
    fn belgian_dutch_money_dates_numbers_and_plurals() {
        let nl = Tr(Language::Nl);
        // CLDR nl-BE: the euro sign first, a no-break space, dots between thousands.
        assert_eq!(nl.money(Decimal::new(145_200, 2)), "€\u{a0}1.452,00");
        assert_eq!(nl.money(Decimal::new(-5, 1)), "€\u{a0}−0,50");
        assert_eq!(
            nl.money(Decimal::new(100_000_000, 2)),
            "€\u{a0}1.000.000,00"
        );
        assert_eq!(nl.money(Decimal::ZERO), "€\u{a0}0,00");
        assert_eq!(
            nl.date(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            "23 november 2026"
        );
        assert_eq!(
            nl.date(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
            "1 maart 2027"
        );
        let tuesday = NaiveDate::from_ymd_opt(2027, 3, 9).unwrap();
        assert_eq!(nl.weekday_date(tuesday), "dinsdag 9 maart 2027");
        assert_eq!(nl.numeric_date(tuesday), "09/03/2027");
        assert_eq!(
            nl.numeric_datetime(tuesday.and_hms_opt(14, 5, 0).unwrap()),
            "09/03/2027 14:05"
        );
        assert_eq!(nl.number(Decimal::new(1250, 2)), "12,5");
        let band = crate::domain::ElectricityBand::parse("3x25").unwrap();
        assert_eq!(nl.band(band), "3 × 25 A (17,3 kVA)");
        assert_eq!(nl.field("offer.site", "Bergen"), "Werf: Bergen");
        // Dutch plurals: "one" for 1 only, 0 is plural.
        let caption = |n: &str| nl.f("queue.caption", [("count", n), ("first", "1"), ("last", n)]);
        assert_eq!(caption("0"), "0 aanvragen; 1 tot 0 getoond");
        assert_eq!(caption("1"), "1 aanvraag; 1 tot 1 getoond");
        assert_eq!(caption("2"), "2 aanvragen; 1 tot 2 getoond");
        // No French elision in Dutch: "oktober" keeps its words.
        assert_eq!(
            nl.f("works.map_title", [("month", "oktober 2026")]),
            "Kaart van de werken in oktober 2026"
        );
        // Lead times count in Dutch, 1 in the singular.
        assert_eq!(
            nl.f(
                "assessment.within_calendar_months",
                [("count", "1"), ("start", "de betaling")]
            ),
            "werken binnen 1 kalendermaand vanaf: de betaling"
        );
        assert_eq!(
            nl.f(
                "assessment.within_working_days",
                [("count", "30"), ("start", "de betaling")]
            ),
            "werken binnen 30 werkdagen vanaf: de betaling"
        );
        assert_eq!(nl.wait(std::time::Duration::from_secs(899)), "15 minuten");
        assert_eq!(nl.wait(std::time::Duration::from_secs(7200)), "2 uur");
    }

    /// Dutch is complete: no text of the Dutch catalogue is the French one, apart from
    /// proper names, codes and formulas that every language writes alike.
    #[test]
    fn dutch_never_reads_french() {
        // Words Dutch shares with French, names, and texts made of placeholders only.
        const SHARED: [&str; 11] = [
            "Proximus",
            "VOO",
            "Français",
            "English",
            "Deutsch",
            "Nederlands",
            "cabine",
            "forfait",
            "1 seconde",
            "Document",
            "Webhooks",
        ];
        let words = |text: &str| {
            let mut depth = 0_u32;
            text.chars()
                .filter(|c| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth = depth.saturating_sub(1),
                        _ => return depth == 0 && c.is_alphabetic(),
                    }
                    false
                })
                .count()
        };
        let french = catalog(Language::Fr);
        let same: Vec<&String> = catalog(Language::Nl)
            .iter()
            .filter(|(key, text)| {
                french[*key] == **text && words(text) > 4 && !SHARED.contains(&text.as_str())
            })
            .map(|(key, _)| key)
            .collect();
        assert!(same.is_empty(), "Dutch texts still in French: {same:?}");
    }

    /// Each text has the same `{placeholders}` in every language, except the partner line,
    /// which names the label in its own language.
    #[test]
    fn every_language_fills_the_same_placeholders() {
        // `{name}` and `{name, plural, …}`; the choices' texts are not names.
        fn names(text: &str) -> std::collections::BTreeSet<&str> {
            text.split('{')
                .skip(1)
                .map(|rest| rest.split(['}', ',']).next().unwrap_or_default())
                .filter(|name| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .collect()
        }
        let french = catalog(Language::Fr);
        for language in Language::ALL {
            for (key, text) in catalog(language) {
                if key == "assessment.partner_line" {
                    assert_eq!(text, &format!("{{label_{language}}}"));
                    continue;
                }
                assert_eq!(
                    names(text),
                    names(&french[key]),
                    "{language}: placeholders of {key}"
                );
            }
        }
    }

    #[test]
    fn each_language_is_named_in_itself_and_offered_in_the_switch() {
        let names = Tr(Language::En).languages();
        assert_eq!(
            names,
            [
                ("fr", "Français".to_owned()),
                ("en", "English".to_owned()),
                ("de", "Deutsch".to_owned()),
                ("nl", "Nederlands".to_owned())
            ]
        );
        let switch: Vec<&str> = Tr(Language::De)
            .other_languages()
            .into_iter()
            .map(|(code, _)| code)
            .collect();
        assert_eq!(switch, ["fr", "en", "nl"]);
        let switch: Vec<&str> = Tr(Language::Nl)
            .other_languages()
            .into_iter()
            .map(|(code, _)| code)
            .collect();
        assert_eq!(switch, ["fr", "en", "de"]);
    }

    #[test]
    fn placeholders_are_filled() {
        let message = Tr(Language::Fr).error(&InputError::TooManyDwellings { count: 6 });
        assert!(message.contains('6'), "{message}");
        assert!(message.contains("C-1"), "{message}");
        // A value is filled in as written: what it holds is never read as a placeholder (an
        // API key's name is typed by its administrator).
        assert_eq!(
            Tr(Language::Fr).f(
                "request.by_api_key",
                [("key", "{organisation}"), ("organisation", "ORES")]
            ),
            "Clé d'API «{organisation}» d'ORES"
        );
        assert_eq!(
            Tr(Language::Fr).f("queue.page_of", [("page", "2"), ("pages", "7")]),
            "Page 2 sur 7"
        );
    }
}
