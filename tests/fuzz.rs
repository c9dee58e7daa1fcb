//! Property-based fuzzing of the parsers that read untrusted input: the public request form
//! (anyone may post it), the tariff books an operator's administrator uploads, and the files
//! applicants upload. Whatever the bytes, the parser answers: it never panics, a refusal names
//! the field (or the book's path) that is wrong, and what it accepts reads back the same.
//! Bounded: a few hundred cases each, a few seconds in all.

use chrono::NaiveDate;
use connect_my_home::{
    app::postcode_directory,
    domain::{
        FileRefusal, FileType, NewRequest, PostcodeDirectory, RequestInput,
        document::{check_file, clean_filename},
    },
    tariff::{book::parse_book, error::TariffError},
};
use proptest::prelude::*;
use std::sync::OnceLock;

/// Cases per property: enough to find the edges, few enough to run in seconds.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        // Failures are reported with their minimal input; nothing is written beside the tests.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn directory() -> &'static PostcodeDirectory {
    static DIRECTORY: OnceLock<PostcodeDirectory> = OnceLock::new();
    DIRECTORY.get_or_init(|| postcode_directory().expect("the shipped postcode table"))
}

/// A fixed day: the properties do not depend on the machine's date.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).expect("valid date")
}

// ---------------------------------------------------------------------------------------
// The public request form (journey 1)

/// Every field of the form, as the page names them, and `services`: the group of boxes.
const FORM_FIELDS: &[&str] = &[
    "services",
    "applicant_kind",
    "name",
    "company_number",
    "email",
    "phone",
    "language",
    "street",
    "house_number",
    "postcode",
    "locality",
    "map_point",
    "parcel_ref",
    "building",
    "dwellings",
    "electricity",
    "electricity_band",
    "gas",
    "water",
    "proximus",
    "voo",
    "partner",
    "wished_from",
    "wished_to",
    "remarks",
    "servicing_operation",
    "servicing_frontage_m",
    "servicing_parcels",
    "servicing_candelabras",
    "servicing_planned_frontages",
    "servicing_supply_points",
    "servicing_cabin",
    "servicing_social",
    "vat",
];

/// Marie's complete request (journey 1), as the browser posts it.
fn marie() -> Vec<(&'static str, String)> {
    vec![
        ("applicant_kind", "natural".into()),
        ("name", "Marie Dupont".into()),
        ("email", "marie.dupont@example.be".into()),
        ("phone", "+32 81 23 45 67".into()),
        ("language", "fr".into()),
        ("street", "Rue des Tanneries".into()),
        ("house_number", "14".into()),
        ("postcode", "5000".into()),
        ("building", "house".into()),
        ("electricity", "on".into()),
        ("electricity_band", "3x25".into()),
        ("gas", "on".into()),
        ("water", "on".into()),
        ("wished_from", "2027-01-15".into()),
        ("wished_to", "2027-03-15".into()),
        ("remarks", "Chantier démarré".into()),
    ]
}

fn encoded(fields: &[(&'static str, String)]) -> String {
    serde_urlencoded::to_string(fields).expect("form fields encode")
}

/// The form as the handler reads it: the same decoder, the same body.
fn decoded(body: &[u8]) -> Result<RequestInput, serde_html_form::de::Error> {
    serde_html_form::from_bytes(body)
}

fn with_field(field: &'static str, value: String) -> Vec<(&'static str, String)> {
    let mut fields: Vec<_> = marie().into_iter().filter(|(k, _)| *k != field).collect();
    fields.push((field, value));
    fields
}

/// Text a visitor could type or a script could send: any characters, long or short.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,300}",
        "[ \t\r\n0-9a-zA-Z@.,;:/+()#'\"&=%-]{0,60}",
    ]
}

/// Values no parser of its field may accept.
fn refused_value() -> impl Strategy<Value = (&'static str, String)> {
    prop_oneof![
        "[a-z]{1,20}".prop_map(|v| ("email", v)),
        "[a-z]{1,12}".prop_map(|v| ("phone", v)),
        "[a-zA-Z]{1,8}".prop_map(|v| ("postcode", v)),
        "[0-9]{5,9}".prop_map(|v| ("postcode", v)),
        "[a-z]{3,12}".prop_map(|v| ("applicant_kind", v)),
        "[a-z]{3,12}".prop_map(|v| ("building", v)),
        "[a-z]{1,8}".prop_map(|v| ("electricity_band", v)),
        "[a-z]{1,10}".prop_map(|v| ("wished_from", v)),
        "[0-9]{1,3}/[0-9]{1,3}".prop_map(|v| ("wished_to", v)),
        "x{201,400}".prop_map(|v| ("street", v)),
        "[a-z]{4,10}".prop_map(|v| ("language", v)),
        "[a-z]{3,10}".prop_map(|v| ("vat", v)),
        "[a-z]{1,10}".prop_map(|v| ("map_point", v)),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Any body at all: decoded or refused, and what decodes is parsed without panicking;
    /// every refusal names a field of the form.
    #[test]
    fn any_request_body_is_answered_and_refusals_name_form_fields(
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400),
            "([a-z_]{1,20}=[^&]{0,30}&){0,12}".prop_map(String::into_bytes),
        ]
    ) {
        if let Ok(input) = decoded(&body)
            && let Err(errors) = NewRequest::parse(&input, directory(), today())
        {
            prop_assert!(!errors.is_empty());
            for (field, _) in errors.iter() {
                prop_assert!(FORM_FIELDS.contains(field), "unknown field {field}");
            }
        }
    }

    /// Any text in any one field of an otherwise complete request: parsed without panicking,
    /// and any refusal names fields of the form.
    #[test]
    fn any_text_in_one_field_is_answered(
        field in proptest::sample::select(FORM_FIELDS),
        value in any_text(),
    ) {
        let body = encoded(&with_field(field, value));
        let input = decoded(body.as_bytes()).expect("an encoded form decodes");
        if let Err(errors) = NewRequest::parse(&input, directory(), today()) {
            for (named, error) in errors.iter() {
                prop_assert!(FORM_FIELDS.contains(named), "unknown field {named}");
                prop_assert!(!error.key().is_empty());
            }
        }
    }

    /// A value its field cannot take is refused, and the refusal names that field.
    #[test]
    fn a_wrong_value_is_refused_by_its_own_field((field, value) in refused_value()) {
        let body = encoded(&with_field(field, value.clone()));
        let input = decoded(body.as_bytes()).expect("an encoded form decodes");
        match NewRequest::parse(&input, directory(), today()) {
            Ok(_) => prop_assert!(false, "{field}={value:?} was accepted"),
            Err(errors) => prop_assert!(
                errors.get(field).is_some(),
                "{field}={value:?} refused as {errors:?}"
            ),
        }
    }

    /// Spaces around what was typed change nothing, and the form decodes to what the browser
    /// encoded.
    #[test]
    fn surrounding_spaces_change_nothing(
        before in "[ \t]{0,3}",
        after in "[ \t]{0,3}",
    ) {
        let padded: Vec<_> = marie()
            .into_iter()
            .map(|(k, v)| (k, format!("{before}{v}{after}")))
            .collect();
        let plain = decoded(encoded(&marie()).as_bytes()).expect("decodes");
        let spaced = decoded(encoded(&padded).as_bytes()).expect("decodes");
        prop_assert_eq!(&spaced.name, &format!("{before}Marie Dupont{after}"));
        let plain = NewRequest::parse(&plain, directory(), today()).expect("Marie's form");
        let spaced = NewRequest::parse(&spaced, directory(), today()).expect("Marie's form");
        prop_assert_eq!(format!("{plain:?}"), format!("{spaced:?}"));
    }
}

// ---------------------------------------------------------------------------------------
// Tariff books (uploaded by operators' administrators)

const BOOKS: &[(&str, &str)] = &[
    ("ores-2026.toml", include_str!("../tariffs/ores-2026.toml")),
    ("swde-2026.toml", include_str!("../tariffs/swde-2026.toml")),
    (
        "proximus-2026.toml",
        include_str!("../tariffs/proximus-2026.toml"),
    ),
    ("voo-2026.toml", include_str!("../tariffs/voo-2026.toml")),
];

/// Prices of the ORES book held in plain tables, with the path a refusal names.
const ORES_PRICES: &[(&str, &str, &str)] = &[
    ("[servicing]", "dossier_fee", "servicing.dossier_fee"),
    ("[servicing]", "per_metre", "servicing.per_metre"),
    (
        "[servicing]",
        "public_lighting_per_candelabra",
        "servicing.public_lighting_per_candelabra",
    ),
    (
        "[electricity]",
        "per_dwelling_flat",
        "electricity.per_dwelling_flat",
    ),
];

/// The book with `key`'s value in `table` replaced by `value` (TOML text).
fn with_value(book: &str, table: &str, key: &str, value: &str) -> String {
    let mut in_table = false;
    let mut replaced = false;
    let lines: Vec<String> = book
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') {
                in_table = trimmed.starts_with(table);
            }
            if in_table && !replaced && trimmed.starts_with(&format!("{key} ")) {
                replaced = true;
                format!("{key} = {value}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert!(replaced, "{table} {key} not in the book");
    lines.join("\n")
}

#[test]
fn the_shipped_books_parse() {
    for (name, text) in BOOKS {
        parse_book(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any text: a book or a refusal, never a panic; a syntax error says where it comes from.
    #[test]
    fn any_text_uploaded_as_a_book_is_answered(text in prop_oneof![
        any::<String>(),
        "(\\[[a-z.]{1,12}\\]\n)?([a-z_]{1,16} = (\"[^\"\n]{0,10}\"|[0-9.-]{1,8}|true|20[0-9]{2}-[0-9]{2}-[0-9]{2})\n){0,8}",
    ]) {
        match parse_book("upload", &text) {
            Ok(book) => prop_assert!(!book.version().is_empty()),
            Err(TariffError::BookSyntax { source_name, message }) => {
                prop_assert_eq!(source_name, "upload");
                prop_assert!(!message.is_empty());
                prop_assert!(!message.contains('\n'));
            }
            Err(other) => prop_assert!(!other.to_string().is_empty()),
        }
    }

    /// A shipped book with a line cut out, two lines swapped or a slice of it: answered, never
    /// a panic.
    #[test]
    fn a_damaged_book_is_answered(
        which in 0..BOOKS.len(),
        cut in any::<prop::sample::Index>(),
        swap in any::<prop::sample::Index>(),
        keep in any::<prop::sample::Index>(),
    ) {
        let (name, text) = BOOKS[which];
        let mut lines: Vec<&str> = text.lines().collect();
        let at = swap.index(lines.len());
        let removed = cut.index(lines.len());
        lines.swap(at, removed);
        lines.remove(removed);
        let damaged = lines.join("\n");
        let _ = parse_book(name, &damaged);
        let end = keep.index(text.len());
        let end = (0..=end).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let _ = parse_book(name, &text[..end]);
    }

    /// A negative price is refused, and the refusal names its path in the book.
    #[test]
    fn a_negative_price_is_refused_by_its_path(
        (table, key, path) in proptest::sample::select(ORES_PRICES),
        cents in 1u64..100_000_000,
    ) {
        let value = format!("\"-{}.{:02}\"", cents / 100, cents % 100);
        let text = with_value(BOOKS[0].1, table, key, &value);
        match parse_book("upload", &text) {
            Err(
                TariffError::NegativePrice { path: named, .. }
                | TariffError::BookInvalid { path: named, .. },
            ) => prop_assert_eq!(named, path),
            other => prop_assert!(false, "{path} = {value}: {other:?}"),
        }
    }

    /// A price that is no amount is refused, and the refusal names the key.
    #[test]
    fn a_price_that_is_no_amount_is_refused_by_its_key(
        (table, key, _) in proptest::sample::select(ORES_PRICES),
        value in prop_oneof![
            "\"[a-z ]{1,10}\"",
            "\"[0-9]{1,3},[0-9]{2}\"",
            "\\[\\]",
            "true",
        ],
    ) {
        let text = with_value(BOOKS[0].1, table, key, &value);
        match parse_book("upload", &text) {
            Err(error) => prop_assert!(error.to_string().contains(key), "{key}: {error}"),
            Ok(_) => prop_assert!(false, "{key} = {value} was accepted"),
        }
    }

    /// Comments and blank lines between the lines of a book change nothing: the same book.
    #[test]
    fn comments_and_blank_lines_change_nothing(
        which in 0..BOOKS.len(),
        at in any::<prop::sample::Index>(),
        note in "[ -~]{0,40}",
    ) {
        let (name, text) = BOOKS[which];
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let index = at.index(lines.len() + 1);
        lines.insert(index, format!("# {note}"));
        lines.insert(index, String::new());
        let original = parse_book(name, text).expect("a shipped book");
        let annotated = parse_book(name, &lines.join("\n")).expect("still the book");
        prop_assert_eq!(original, annotated);
    }
}

// ---------------------------------------------------------------------------------------
// Uploaded files: the name and the first bytes decide

const MAGIC: &[&[u8]] = &[
    b"%PDF-1.7\n",
    b"\x89PNG\r\n\x1a\n",
    b"\xFF\xD8\xFF\xE0",
    b"AC1032",
    b"MZ\x90\0",
    b"",
];

fn any_head() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(MAGIC),
        proptest::collection::vec(any::<u8>(), 0..48),
    )
        .prop_map(|(magic, rest)| [magic, &rest[..]].concat())
}

fn any_filename() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 ._/\\\\\"-]{0,30}\\.(pdf|PDF|png|jpg|jpeg|dwg|exe|pdf\\.exe)",
        "(\\.\\./){0,3}[\\PC]{0,20}",
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Any name, size and content: an accepted file's name and content are one accepted type,
    /// its name has no path, quote or control character; a refusal has its message key.
    #[test]
    fn any_upload_is_answered_and_accepted_files_are_what_they_claim(
        name in any_filename(),
        head in any_head(),
        size in 0u64..200,
    ) {
        match check_file(&name, size, &head, 100) {
            Ok(checked) => {
                prop_assert!((1..=100).contains(&size));
                prop_assert_eq!(FileType::sniff(&head), Some(checked.file_type));
                prop_assert_eq!(
                    FileType::from_extension(&checked.filename),
                    Some(checked.file_type)
                );
                prop_assert!(!checked.filename.is_empty());
                prop_assert!(checked.filename.chars().count() <= 200);
                prop_assert!(!checked
                    .filename
                    .chars()
                    .any(|c| c == '/' || c == '\\' || c == '"' || c.is_control()));
                // The file type reads back from the content type stored beside the file.
                prop_assert_eq!(
                    FileType::from_content_type(checked.file_type.content_type()),
                    Some(checked.file_type)
                );
            }
            Err(refusal) => {
                prop_assert!(!refusal.key().is_empty());
                if let FileRefusal::TooLarge { max_mb } = refusal {
                    prop_assert_eq!(max_mb, 1);
                }
            }
        }
    }

    /// Cleaning a file name twice is cleaning it once.
    #[test]
    fn a_clean_name_stays_as_it_is(name in any_filename()) {
        let once = clean_filename(&name);
        prop_assert_eq!(clean_filename(&once), once);
    }
}
