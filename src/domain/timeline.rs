//! What a timeline event's detail stores of amounts and statements: tokens in braces
//! (`{€1452.00}`, `{outstanding €210.00}`, `{statement 187 2026-12-01 BE68539007547034}`,
//! `{dossier_fee}`) that each reader's page writes in its own language, rather than a text in
//! the language of whoever caused the event. Text around the tokens is kept as typed.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One token of an event's detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Money(Decimal),
    /// What is still due after a payment.
    Outstanding(Decimal),
    /// What was paid beyond the amount due, to refund.
    Refund(Decimal),
    /// The bank statement a payment was read from: its number, opening day and account.
    Statement {
        number: i64,
        opened_on: NaiveDate,
        account: String,
    },
    /// The dossier-fee invoice's title.
    DossierFee,
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Money(amount) => write!(f, "{{€{amount}}}"),
            Token::Outstanding(amount) => write!(f, "{{outstanding €{amount}}}"),
            Token::Refund(amount) => write!(f, "{{refund €{amount}}}"),
            Token::Statement {
                number,
                opened_on,
                account,
            } => write!(f, "{{statement {number} {opened_on} {account}}}"),
            Token::DossierFee => write!(f, "{{dossier_fee}}"),
        }
    }
}

impl Token {
    /// The token written between braces, without them; `None` for any other text.
    pub fn parse(inner: &str) -> Option<Self> {
        let euros = |text: &str| text.strip_prefix('€')?.parse::<Decimal>().ok();
        let words: Vec<&str> = inner.split(' ').collect();
        match words.as_slice() {
            [amount] if amount.starts_with('€') => euros(amount).map(Token::Money),
            ["outstanding", amount] => euros(amount).map(Token::Outstanding),
            ["refund", amount] => euros(amount).map(Token::Refund),
            ["statement", number, day, account] => Some(Token::Statement {
                number: number.parse().ok()?,
                opened_on: day.parse().ok()?,
                account: (*account).to_owned(),
            }),
            ["dossier_fee"] => Some(Token::DossierFee),
            _ => None,
        }
    }
}

/// The pieces of a detail: plain text, and tokens where a brace holds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Token(Token),
}

pub fn pieces(detail: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = detail;
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        match Token::parse(&rest[start + 1..start + length]) {
            Some(token) => {
                if start > 0 {
                    out.push(Piece::Text(&rest[..start]));
                }
                out.push(Piece::Token(token));
            }
            None => out.push(Piece::Text(&rest[..=start + length])),
        }
        rest = &rest[start + length + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_back_as_written_and_other_braces_stay_text() {
        let statement = Token::Statement {
            number: 187,
            opened_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            account: "BE68539007547034".into(),
        };
        let amount: Decimal = "1452.00".parse().unwrap();
        let detail = format!(
            "ORES Assets — {} — {} — {statement} {{not a token}}",
            Token::Money(amount),
            Token::Outstanding("210.00".parse().unwrap())
        );
        assert_eq!(
            detail,
            "ORES Assets — {€1452.00} — {outstanding €210.00} — \
             {statement 187 2026-12-01 BE68539007547034} {not a token}"
        );
        assert_eq!(
            pieces(&detail),
            vec![
                Piece::Text("ORES Assets — "),
                Piece::Token(Token::Money(amount)),
                Piece::Text(" — "),
                Piece::Token(Token::Outstanding("210.00".parse().unwrap())),
                Piece::Text(" — "),
                Piece::Token(statement),
                Piece::Text(" {not a token}"),
            ]
        );
        assert_eq!(pieces("plain"), vec![Piece::Text("plain")]);
    }
}
