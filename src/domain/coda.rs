//! Belgian bank statements in CODA (Febelfin "Coded statement of account", version 2): the file
//! a bank gives its customers each day, 128 characters per record. Only what matching payments
//! needs is read: the account, the statement's number and days, and each movement's amount,
//! days, bank reference, communication (structured or free) and counterparty.
//!
//! The file's own totals (record 9) are checked against its movements, so a truncated or edited
//! file is refused rather than half-read.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use thiserror::Error;

use super::payment::StructuredCommunication;

/// Why a file is not a readable CODA statement. `line` counts from 1, as an editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodaError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not text")]
    NotText,
    #[error("line {line}: a CODA record has 128 characters, this one has {length}")]
    Length { line: usize, length: usize },
    #[error("line {line}: unknown record type {record:?}")]
    Record { line: usize, record: String },
    #[error("line {line}: {field} is not valid ({value:?})")]
    Field {
        line: usize,
        field: &'static str,
        value: String,
    },
    #[error("line {line}: a movement before the statement's opening balance (record 1)")]
    Order { line: usize },
    #[error("the statement is in {currency}, not in euros")]
    Currency { currency: String },
    #[error("the file ends without its trailer (record 9): it is incomplete")]
    NoTrailer,
    #[error(
        "the file's totals do not match its movements (credits {stated} stated, {counted} read): it is incomplete or altered"
    )]
    Totals { stated: Decimal, counted: Decimal },
}

impl CodaError {
    /// Key of the message in the translation files (`statements.error.<key>`).
    pub fn key(&self) -> &'static str {
        match self {
            CodaError::Empty => "empty",
            CodaError::NotText => "not_text",
            CodaError::Length { .. } => "length",
            CodaError::Record { .. } => "record",
            CodaError::Field { .. } => "field",
            CodaError::Order { .. } => "order",
            CodaError::Currency { .. } => "currency",
            CodaError::NoTrailer => "no_trailer",
            CodaError::Totals { .. } => "totals",
        }
    }

    /// The line the error is on, when it is on one.
    pub fn line(&self) -> Option<usize> {
        match self {
            CodaError::Length { line, .. }
            | CodaError::Record { line, .. }
            | CodaError::Field { line, .. }
            | CodaError::Order { line } => Some(*line),
            _ => None,
        }
    }
}

/// One statement of a CODA file (a file may hold several accounts' statements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The account as the bank writes it: an IBAN without spaces for Belgian IBAN accounts.
    pub account: String,
    pub holder: String,
    /// The statement's number in the year (record 1, positions 3–5).
    pub number: u32,
    /// The day of the opening balance: with the number and account, it names the statement.
    pub opened_on: NaiveDate,
    pub movements: Vec<Movement>,
}

/// One movement: a credit (money received) or a debit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// The movement's sequence and detail numbers (`0003/0000`): unique in its statement.
    pub sequence: String,
    pub bank_reference: String,
    /// Positive for a credit, negative for a debit; in euros, to the cent.
    pub amount: Decimal,
    pub value_date: NaiveDate,
    pub entry_date: NaiveDate,
    pub communication: Communication,
    pub counterparty_name: String,
    pub counterparty_account: String,
}

impl Movement {
    pub fn is_credit(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    /// The structured communication the payer gave, or one typed in the free text (people
    /// copy `+++260/0004/20102+++` into the free field): only a valid one counts.
    pub fn structured_communication(&self) -> Option<StructuredCommunication> {
        match &self.communication {
            Communication::Structured(communication) => Some(*communication),
            Communication::Free(text) => communication_in_text(text),
            Communication::Mistyped(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Communication {
    Structured(StructuredCommunication),
    /// Given as structured, with check digits that do not match: a typing error of the payer
    /// that the bank passed on. The line is kept (the money arrived), its 12 digits as given.
    Mistyped(String),
    Free(String),
}

/// The first valid structured communication in free text: 12 digits, with or without the
/// `+++…/…/…+++` dressing and spaces.
pub fn communication_in_text(text: &str) -> Option<StructuredCommunication> {
    let digits_only: Vec<char> = text
        .chars()
        .filter(|c| !matches!(c, '+' | '*' | '/' | ' ' | '.' | '-'))
        .collect();
    // Runs of digits exactly 12 long, once the usual separators are removed.
    let mut run = String::new();
    for c in digits_only.iter().chain(std::iter::once(&'x')) {
        if c.is_ascii_digit() {
            run.push(*c);
            continue;
        }
        if run.len() == 12
            && let Ok(found) = StructuredCommunication::parse(&run)
        {
            return Some(found);
        }
        run.clear();
    }
    None
}

/// The characters at 1-based, inclusive positions `from..=to` of a record.
fn at(record: &[char], from: usize, to: usize) -> String {
    record[from - 1..to].iter().collect()
}

fn field(line: usize, field: &'static str, value: &str) -> CodaError {
    CodaError::Field {
        line,
        field,
        value: value.trim().to_owned(),
    }
}

fn day(line: usize, name: &'static str, raw: &str) -> Result<NaiveDate, CodaError> {
    NaiveDate::parse_from_str(raw, "%d%m%y").map_err(|_| field(line, name, raw))
}

/// An amount of 15 digits with 3 decimals, signed by `sign` (`0` credit, `1` debit).
fn amount(line: usize, sign: char, raw: &str) -> Result<Decimal, CodaError> {
    if raw.len() != 15 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field(line, "amount", raw));
    }
    let thousandths: i64 = raw.parse().map_err(|_| field(line, "amount", raw))?;
    let mut value = Decimal::new(thousandths, 3);
    value.rescale(2);
    match sign {
        '0' => Ok(value),
        '1' => Ok(-value),
        _ => Err(field(line, "sign", &sign.to_string())),
    }
}

/// Reads every statement of a CODA file. Debits are kept (negative amounts); a globalised
/// movement whose details follow is replaced by its details, which are what payers sent.
pub fn parse(bytes: &[u8]) -> Result<Vec<Statement>, CodaError> {
    if bytes.contains(&0) {
        return Err(CodaError::NotText);
    }
    // Banks write Latin-1 as often as UTF-8; names with accents must not refuse the file.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    };
    let mut statements = Vec::new();
    let mut current: Option<Statement> = None;
    // Movements of the current statement, details included.
    let mut pending: Vec<Movement> = Vec::new();
    let mut trailer_seen = false;
    let mut any = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        any = true;
        let mut record: Vec<char> = raw.chars().collect();
        // Some tools strip trailing spaces; a longer record is not CODA.
        if !(2..=128).contains(&record.len()) {
            return Err(CodaError::Length {
                line,
                length: record.len(),
            });
        }
        record.resize(128, ' ');
        match (record[0], record[1]) {
            ('0', _) => {
                trailer_seen = false;
            }
            ('1', structure) => {
                let account = match structure {
                    '0' => at(&record, 6, 17),
                    '2' => at(&record, 6, 21),
                    '1' | '3' => at(&record, 6, 39),
                    _ => return Err(field(line, "account structure", &structure.to_string())),
                };
                let currency = at(&record, 40, 42);
                if currency.trim() != "EUR" {
                    return Err(CodaError::Currency {
                        currency: currency.trim().to_owned(),
                    });
                }
                let number_raw = at(&record, 3, 5);
                let number = number_raw
                    .trim()
                    .parse()
                    .map_err(|_| field(line, "statement number", &number_raw))?;
                let opened_on = day(line, "balance date", &at(&record, 59, 64))?;
                if let Some(done) = current.take() {
                    statements.push(finish(done, std::mem::take(&mut pending)));
                }
                current = Some(Statement {
                    account: account.split_whitespace().collect(),
                    holder: at(&record, 65, 90).trim().to_owned(),
                    number,
                    opened_on,
                    movements: Vec::new(),
                });
            }
            ('2', '1') => {
                if current.is_none() {
                    return Err(CodaError::Order { line });
                }
                let value = amount(line, record[31], &at(&record, 33, 47))?;
                let communication = if record[61] == '1' {
                    let digits = at(&record, 66, 77);
                    match StructuredCommunication::parse(&digits) {
                        Ok(communication) => Communication::Structured(communication),
                        Err(_) => Communication::Mistyped(digits.trim().to_owned()),
                    }
                } else {
                    Communication::Free(at(&record, 63, 115).trim().to_owned())
                };
                let movement = Movement {
                    sequence: format!("{}/{}", at(&record, 3, 6), at(&record, 7, 10)),
                    bank_reference: at(&record, 11, 31).trim().to_owned(),
                    amount: value,
                    value_date: day(line, "value date", &at(&record, 48, 53))?,
                    entry_date: day(line, "entry date", &at(&record, 116, 121))?,
                    communication,
                    counterparty_name: String::new(),
                    counterparty_account: String::new(),
                };
                pending.push(movement);
            }
            ('2', '2') => {
                if let Some(last) = pending.last_mut()
                    && let Communication::Free(text) = &mut last.communication
                {
                    let more = at(&record, 11, 63);
                    if !more.trim().is_empty() {
                        text.push(' ');
                        text.push_str(more.trim());
                    }
                }
            }
            ('2', '3') => {
                if let Some(last) = pending.last_mut() {
                    last.counterparty_account =
                        at(&record, 11, 44).split_whitespace().collect::<String>();
                    last.counterparty_name = at(&record, 48, 82).trim().to_owned();
                    if let Communication::Free(text) = &mut last.communication {
                        let more = at(&record, 83, 125);
                        if !more.trim().is_empty() {
                            text.push(' ');
                            text.push_str(more.trim());
                        }
                    }
                }
            }
            // Information (3), free communication (4) and closing balance (8): not needed.
            ('3', _) | ('4', _) | ('8', _) => {}
            ('9', _) => {
                let stated_raw = at(&record, 38, 52);
                let stated = amount(line, '0', &stated_raw)?;
                let counted: Decimal = pending
                    .iter()
                    .filter(|m| m.is_credit() && is_booked(m))
                    .map(|m| m.amount)
                    .sum();
                if stated != counted {
                    return Err(CodaError::Totals { stated, counted });
                }
                if let Some(done) = current.take() {
                    statements.push(finish(done, std::mem::take(&mut pending)));
                }
                trailer_seen = true;
            }
            (record_type, article) => {
                return Err(CodaError::Record {
                    line,
                    record: format!("{record_type}{article}"),
                });
            }
        }
    }
    if !any {
        return Err(CodaError::Empty);
    }
    if !trailer_seen || current.is_some() {
        return Err(CodaError::NoTrailer);
    }
    Ok(statements)
}

/// A movement as the bank booked it (detail number 0000), globalised or not: the totals of
/// record 9 count those, not the details of a globalised movement again.
fn is_booked(movement: &Movement) -> bool {
    movement.sequence.ends_with("/0000")
}

/// The statement with its movements: a globalised movement followed by its details gives way
/// to the details, each a payment of its own.
fn finish(mut statement: Statement, pending: Vec<Movement>) -> Statement {
    let has_details = |main: &str| {
        pending.iter().any(|m| {
            m.sequence
                .split_once('/')
                .is_some_and(|(s, d)| s == main && d != "0000")
        })
    };
    statement.movements = pending
        .iter()
        .filter(|m| match m.sequence.split_once('/') {
            Some((main, "0000")) => !has_details(main),
            _ => true,
        })
        .cloned()
        .collect();
    statement
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of 128 characters from (1-based position, text) pieces over spaces.
    fn record(pieces: &[(usize, &str)]) -> String {
        let mut line = vec![' '; 128];
        for (from, text) in pieces {
            for (i, c) in text.chars().enumerate() {
                line[from - 1 + i] = c;
            }
        }
        line.into_iter().collect()
    }

    fn movement(seq: &str, detail: &str, cents: i64, communication: &str, glob: char) -> String {
        let (kind, text) = match communication.strip_prefix("S:") {
            Some(digits) => ('1', format!("101{digits}")),
            None => ('0', communication.to_owned()),
        };
        let sign = if cents < 0 { '1' } else { '0' };
        record(&[
            (1, "21"),
            (3, seq),
            (7, detail),
            (11, "REF0001"),
            (32, &sign.to_string()),
            (33, &format!("{:015}", cents.abs() * 10)),
            (48, "030127"),
            (54, "00150000"),
            (62, &kind.to_string()),
            (63, &text),
            (116, "030127"),
            (122, "001"),
            (125, &glob.to_string()),
            (126, "0"),
            (128, "0"),
        ])
    }

    fn file(movements: &[String], credits_cents: i64) -> String {
        let mut lines = vec![
            record(&[(1, "0000002012700005"), (128, "2")]),
            record(&[
                (1, "12001"),
                (6, "BE68539007547034"),
                (40, "EUR"),
                (43, "0"),
                (44, "000000000000000"),
                (59, "020127"),
                (65, "ORES SC"),
                (126, "001"),
            ]),
        ];
        lines.extend(movements.iter().cloned());
        lines.push(record(&[(1, "8001"), (42, "0"), (58, "030127")]));
        lines.push(record(&[
            (1, "9"),
            (17, "000004"),
            (23, "000000000000000"),
            (38, &format!("{:015}", credits_cents * 10)),
            (128, "2"),
        ]));
        lines.join("\r\n")
    }

    #[test]
    fn a_statement_gives_its_account_number_and_movements() {
        let coda = file(
            &[
                movement("0001", "0000", 121_000, "S:260000420102", '0'),
                movement(
                    "0002",
                    "0000",
                    5_000,
                    "facture +++260/0004/20102+++ merci",
                    '0',
                ),
                movement("0003", "0000", -2_500, "frais", '0'),
            ],
            126_000,
        );
        let statements = parse(coda.as_bytes()).unwrap();
        assert_eq!(statements.len(), 1);
        let statement = &statements[0];
        assert_eq!(statement.account, "BE68539007547034");
        assert_eq!(statement.number, 1);
        assert_eq!(statement.holder, "ORES SC");
        assert_eq!(
            statement.opened_on,
            NaiveDate::from_ymd_opt(2027, 1, 2).unwrap()
        );
        let amounts: Vec<String> = statement
            .movements
            .iter()
            .map(|m| m.amount.to_string())
            .collect();
        assert_eq!(amounts, ["1210.00", "50.00", "-25.00"]);
        let expected = StructuredCommunication::parse("260000420102").unwrap();
        assert_eq!(
            statement.movements[0].communication,
            Communication::Structured(expected)
        );
        // Typed into the free text by the payer: still found.
        assert_eq!(
            statement.movements[1].structured_communication(),
            Some(expected)
        );
        assert_eq!(statement.movements[2].structured_communication(), None);
        assert_eq!(
            statement.movements[0].value_date,
            NaiveDate::from_ymd_opt(2027, 1, 3).unwrap()
        );
    }

    #[test]
    fn a_globalised_movement_gives_way_to_its_details() {
        let coda = file(
            &[
                movement("0001", "0000", 300_000, "GLOBALISATION", '1'),
                movement("0001", "0001", 100_000, "S:260000420102", '0'),
                movement("0001", "0002", 200_000, "S:260000520132", '0'),
            ],
            300_000,
        );
        let statement = &parse(coda.as_bytes()).unwrap()[0];
        let amounts: Vec<String> = statement
            .movements
            .iter()
            .map(|m| m.amount.to_string())
            .collect();
        assert_eq!(amounts, ["1000.00", "2000.00"]);
    }

    #[test]
    fn a_file_whose_totals_do_not_match_is_refused_whole() {
        let coda = file(
            &[movement("0001", "0000", 121_000, "S:260000420102", '0')],
            999_900,
        );
        assert!(matches!(
            parse(coda.as_bytes()),
            Err(CodaError::Totals { .. })
        ));
        // Cut before its trailer: incomplete.
        let cut: Vec<&str> = coda.lines().take(3).collect();
        assert_eq!(parse(cut.join("\n").as_bytes()), Err(CodaError::NoTrailer));
    }

    #[test]
    fn other_files_are_refused_with_the_line() {
        assert_eq!(parse(b""), Err(CodaError::Empty));
        assert_eq!(parse(b"%PDF-1.7\x00\x01"), Err(CodaError::NotText));
        let error = parse(b"Date;Montant;Communication\n02/01/2027;1210,00;+++260/0004/20102+++")
            .unwrap_err();
        assert_eq!(error.line(), Some(1));
        let long = "0".repeat(129);
        assert_eq!(
            parse(long.as_bytes()),
            Err(CodaError::Length {
                line: 1,
                length: 129
            })
        );
        let usd = file(&[], 0).replace("EUR", "USD");
        assert_eq!(
            parse(usd.as_bytes()),
            Err(CodaError::Currency {
                currency: "USD".into()
            })
        );
    }

    #[test]
    fn a_mistyped_structured_communication_keeps_its_line() {
        let coda = file(
            &[movement("0001", "0000", 121_000, "S:260000420199", '0')],
            121_000,
        );
        let movement = &parse(coda.as_bytes()).unwrap()[0].movements[0];
        assert_eq!(
            movement.communication,
            Communication::Mistyped("260000420199".into())
        );
        assert_eq!(movement.structured_communication(), None);
    }

    #[test]
    fn a_communication_in_free_text_must_have_valid_check_digits() {
        assert_eq!(
            communication_in_text("260/0004/20102"),
            StructuredCommunication::parse("260000420102").ok()
        );
        assert_eq!(communication_in_text("260/0004/20199"), None);
        assert_eq!(communication_in_text("facture 2026-000042"), None);
    }
}
