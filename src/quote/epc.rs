//! The payload of the SEPA credit-transfer QR code ("EPC QR", EPC069-12 version 002): the
//! payer's banking app reads it and fills in the transfer.
//!
//! Lines, joined by `\n`: `BCD`, version `002`, character set `1` (UTF-8), `SCT`, the BIC
//! (optional since version 002: an empty line), the payee's name (≤ 70), the IBAN, the amount
//! `EUR12.34` (0.01 to 999 999 999.99), the purpose (empty), then EITHER the structured
//! creditor reference (≤ 35) OR the unstructured remittance text (≤ 140), never both. Trailing
//! empty elements are left out. The whole payload is at most 331 bytes.
//!
//! Where the Belgian structured communication goes. EPC069-12 defines the structured element
//! as a creditor reference, and the SEPA rulebook means the ISO 11649 "RF" reference there:
//! a QR code has no field to say that a 12-digit reference is a Belgian one (in a bank file that
//! is the `BBA` issuer, which the QR payload cannot carry). Banking apps outside Belgium check
//! that element as an RF reference and may refuse the whole code. The unstructured element
//! accepts any text, and Belgian banking apps recognise a `+++ddd/dddd/ddddd+++` text as the
//! structured communication (the form printed on Belgian invoices and transfer forms). So the
//! communication goes in the unstructured line, in its `+++…+++` form: every app can read the
//! code, and the operator receives exactly the reference printed on the offer. An RF creditor
//! reference, if an operator ever uses one, goes in the structured line.

use rust_decimal::Decimal;
use thiserror::Error;

use crate::domain::{Bic, Iban, PaymentRefError, StructuredCommunication};

/// Longest payee name (characters).
pub const NAME_MAX: usize = 70;
/// Longest structured creditor reference (characters).
pub const REFERENCE_MAX: usize = 35;
/// Longest unstructured remittance text (characters).
pub const TEXT_MAX: usize = 140;
/// Longest payload (bytes), the capacity of a version-13 QR code at level M.
pub const PAYLOAD_MAX: usize = 331;

/// Why no payload was produced (rather than a wrong one).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EpcError {
    #[error("the payee has no name")]
    NameEmpty,
    #[error("the payee's name has more than {NAME_MAX} characters")]
    NameTooLong,
    #[error("the IBAN is not valid: {0}")]
    Iban(PaymentRefError),
    #[error("the BIC is not valid: {0}")]
    Bic(PaymentRefError),
    #[error("the structured communication is not valid: {0}")]
    Communication(PaymentRefError),
    #[error("the amount must be between 0.01 and 999999999.99 euros, in cents")]
    Amount,
    #[error(
        "the creditor reference is not an ISO 11649 reference of at most {REFERENCE_MAX} characters"
    )]
    CreditorReference,
    #[error("the remittance text has more than {TEXT_MAX} characters")]
    TextTooLong,
    #[error("a line break or control character in {0}")]
    ControlCharacter(&'static str),
    #[error("the payload has {0} bytes, more than {PAYLOAD_MAX}")]
    TooLong(usize),
}

/// What tells the payee which debt is paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remittance {
    /// An ISO 11649 creditor reference (`RF18539007547034`), on the structured line.
    CreditorReference(String),
    /// Free text, on the unstructured line.
    Text(String),
}

impl Remittance {
    /// A Belgian structured communication, as text in its `+++…+++` form (see the module note).
    pub fn belgian(communication: StructuredCommunication) -> Self {
        Self::Text(communication.to_string())
    }
}

fn no_control(field: &'static str, text: &str) -> Result<(), EpcError> {
    if text.chars().any(char::is_control) {
        return Err(EpcError::ControlCharacter(field));
    }
    Ok(())
}

/// ISO 11649: `RF`, 2 check digits, up to 21 letters or digits; moved to the end and read with
/// letters as 10 to 35, the number is 1 modulo 97.
fn valid_creditor_reference(reference: &str) -> bool {
    let bytes = reference.as_bytes();
    if bytes.len() < 5 || bytes.len() > 25 || !reference.starts_with("RF") {
        return false;
    }
    if !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes[4..].iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rearranged = reference[4..].chars().chain(reference[..4].chars());
    let mut rest = 0u32;
    for c in rearranged {
        let value = c.to_ascii_uppercase().to_digit(36).unwrap_or(0);
        rest = if value >= 10 {
            (rest * 100 + value) % 97
        } else {
            (rest * 10 + value) % 97
        };
    }
    rest == 1
}

/// The amount element: `EUR` and the amount with a point and two decimals.
fn amount_element(amount: Decimal) -> Result<String, EpcError> {
    let minimum = Decimal::new(1, 2);
    let maximum = Decimal::new(99_999_999_999, 2);
    if amount < minimum || amount > maximum || amount.round_dp(2) != amount {
        return Err(EpcError::Amount);
    }
    Ok(format!("EUR{:.2}", amount))
}

/// The payload of a SEPA credit transfer of `amount` euros to `name`'s account.
pub fn credit_transfer(
    name: &str,
    iban: &Iban,
    bic: Option<&Bic>,
    amount: Decimal,
    remittance: &Remittance,
) -> Result<String, EpcError> {
    let name = name.trim();
    no_control("the payee's name", name)?;
    if name.is_empty() {
        return Err(EpcError::NameEmpty);
    }
    if name.chars().count() > NAME_MAX {
        return Err(EpcError::NameTooLong);
    }
    let (structured, text) = match remittance {
        Remittance::CreditorReference(reference) => {
            let compact: String = reference.split_whitespace().collect();
            if compact.len() > REFERENCE_MAX || !valid_creditor_reference(&compact) {
                return Err(EpcError::CreditorReference);
            }
            (compact, String::new())
        }
        Remittance::Text(text) => {
            let text = text.trim();
            no_control("the remittance text", text)?;
            if text.chars().count() > TEXT_MAX {
                return Err(EpcError::TextTooLong);
            }
            (String::new(), text.to_owned())
        }
    };
    let mut lines = vec![
        "BCD".to_owned(),
        "002".to_owned(),
        "1".to_owned(),
        "SCT".to_owned(),
        bic.map(|b| b.as_str().to_owned()).unwrap_or_default(),
        name.to_owned(),
        iban.electronic().to_owned(),
        amount_element(amount)?,
        String::new(),
        structured,
        text,
    ];
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let payload = lines.join("\n");
    if payload.len() > PAYLOAD_MAX {
        return Err(EpcError::TooLong(payload.len()));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iban() -> Iban {
        Iban::parse("BE68 5390 0754 7034").unwrap()
    }

    fn sc() -> StructuredCommunication {
        StructuredCommunication::from_base(1_234_567_890).unwrap()
    }

    #[test]
    fn a_belgian_payment_has_the_communication_in_the_text_line() {
        let bic = Bic::parse("GKCCBEBB").unwrap();
        let payload = credit_transfer(
            "ORES",
            &iban(),
            Some(&bic),
            Decimal::new(175450, 2),
            &Remittance::belgian(sc()),
        )
        .unwrap();
        assert_eq!(
            payload,
            "BCD\n002\n1\nSCT\nGKCCBEBB\nORES\nBE68539007547034\nEUR1754.50\n\n\n+++123/4567/89002+++"
        );
    }

    #[test]
    fn the_bic_may_be_left_empty_in_version_002() {
        let payload = credit_transfer(
            "SWDE",
            &iban(),
            None,
            Decimal::new(12, 0),
            &Remittance::belgian(sc()),
        )
        .unwrap();
        assert_eq!(
            payload,
            "BCD\n002\n1\nSCT\n\nSWDE\nBE68539007547034\nEUR12.00\n\n\n+++123/4567/89002+++"
        );
    }

    #[test]
    fn a_creditor_reference_goes_in_the_structured_line() {
        // ISO 11649 example: RF18 5390 0754 7034.
        let payload = credit_transfer(
            "ORES",
            &iban(),
            None,
            Decimal::new(1, 2),
            &Remittance::CreditorReference("RF18 5390 0754 7034".into()),
        )
        .unwrap();
        assert!(
            payload.ends_with("EUR0.01\n\nRF18539007547034"),
            "{payload}"
        );
        assert_eq!(
            credit_transfer(
                "ORES",
                &iban(),
                None,
                Decimal::ONE,
                &Remittance::CreditorReference("RF19 5390 0754 7034".into()),
            ),
            Err(EpcError::CreditorReference)
        );
    }

    #[test]
    fn wrong_inputs_give_an_error_not_a_payload() {
        let text = Remittance::belgian(sc());
        let amount = Decimal::new(10, 0);
        assert_eq!(
            credit_transfer(" ", &iban(), None, amount, &text),
            Err(EpcError::NameEmpty)
        );
        assert_eq!(
            credit_transfer(&"x".repeat(71), &iban(), None, amount, &text),
            Err(EpcError::NameTooLong)
        );
        assert!(credit_transfer(&"é".repeat(70), &iban(), None, amount, &text).is_ok());
        assert_eq!(
            credit_transfer("ORES\nEvil", &iban(), None, amount, &text),
            Err(EpcError::ControlCharacter("the payee's name"))
        );
        for wrong in [
            Decimal::ZERO,
            Decimal::new(-1, 0),
            Decimal::new(1, 3),
            Decimal::new(100_000_000_000, 2),
        ] {
            assert_eq!(
                credit_transfer("ORES", &iban(), None, wrong, &text),
                Err(EpcError::Amount),
                "{wrong}"
            );
        }
        assert!(
            credit_transfer(
                "ORES",
                &iban(),
                None,
                Decimal::new(99_999_999_999, 2),
                &text
            )
            .is_ok()
        );
        assert_eq!(
            credit_transfer(
                "ORES",
                &iban(),
                None,
                amount,
                &Remittance::Text("x".repeat(141))
            ),
            Err(EpcError::TextTooLong)
        );
    }

    #[test]
    fn the_payload_never_exceeds_331_bytes() {
        // 70 three-byte characters and 140 three-byte characters: 630 bytes of text.
        let result = credit_transfer(
            &"€".repeat(70),
            &iban(),
            None,
            Decimal::ONE,
            &Remittance::Text("€".repeat(140)),
        );
        assert!(matches!(result, Err(EpcError::TooLong(bytes)) if bytes > PAYLOAD_MAX));
    }
}
