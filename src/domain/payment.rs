//! Payment references printed on an offer: the payee's account (IBAN, BIC) and the Belgian
//! structured communication the payer types (or scans) so the operator can match the payment.

use std::{fmt, str::FromStr};

use thiserror::Error;

/// Why an account number or a payment reference was refused. Each variant has a stable
/// translation key (`payment.error.<key>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PaymentRefError {
    #[error("an IBAN is a country code, 2 check digits and the account number")]
    IbanFormat,
    #[error("an IBAN of this country does not have this length")]
    IbanLength,
    #[error("the check digits of this IBAN are wrong")]
    IbanCheck,
    #[error("a BIC has 8 or 11 letters and digits, e.g. GKCCBEBB")]
    BicFormat,
    #[error("a structured communication has 12 digits: +++123/4567/89002+++")]
    CommunicationFormat,
    #[error("the check digits of this structured communication are wrong")]
    CommunicationCheck,
    #[error("the base of a structured communication has at most 10 digits")]
    CommunicationRange,
}

impl PaymentRefError {
    /// Key of the message in the translation files.
    pub fn key(self) -> &'static str {
        match self {
            Self::IbanFormat => "payment.error.iban_format",
            Self::IbanLength => "payment.error.iban_length",
            Self::IbanCheck => "payment.error.iban_check",
            Self::BicFormat => "payment.error.bic_format",
            Self::CommunicationFormat => "payment.error.communication_format",
            Self::CommunicationCheck => "payment.error.communication_check",
            Self::CommunicationRange => "payment.error.communication_range",
        }
    }

    pub const ALL: [PaymentRefError; 7] = [
        Self::IbanFormat,
        Self::IbanLength,
        Self::IbanCheck,
        Self::BicFormat,
        Self::CommunicationFormat,
        Self::CommunicationCheck,
        Self::CommunicationRange,
    ];
}

/// The remainder modulo 97 of a long decimal number written as text (ISO 7064 MOD 97-10),
/// computed piecewise so that no length overflows.
fn mod97(digits: impl Iterator<Item = u32>) -> u32 {
    digits.fold(0, |rest, digit| (rest * 10 + digit) % 97)
}

/// The Belgian check of 10 digits: their value modulo 97, 97 when the remainder is 0. Used by
/// structured communications and by Belgian account numbers alike (FACTS.md).
fn belgian_check(base: u64) -> u64 {
    match base % 97 {
        0 => 97,
        rest => rest,
    }
}

/// Length of the IBAN of the SEPA countries (ISO 13616 registry); other countries are held to
/// the general 15 to 34 characters.
fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "NL" | "FO" | "GL" => 18,
        "SI" => 19,
        "AT" | "EE" | "LT" | "LU" | "XK" => 20,
        "CH" | "HR" | "LI" | "LV" => 21,
        "BG" | "DE" | "GB" | "IE" | "ME" | "RS" => 22,
        "CZ" | "ES" | "RO" | "SE" | "SK" | "TN" => 24,
        "PT" => 25,
        "IS" => 26,
        "FR" | "GR" | "IT" | "MC" | "SM" => 27,
        "CY" | "HU" | "PL" => 28,
        "MT" => 31,
        _ => return None,
    })
}

/// An International Bank Account Number, checked (ISO 13616: country, 2 check digits, the
/// account; the whole rearranged number modulo 97 is 1). Held without spaces, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);

impl Iban {
    /// Accepts the printed form (`BE68 5390 0754 7034`) or the electronic one, in any case.
    pub fn parse(raw: &str) -> Result<Self, PaymentRefError> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = compact.as_bytes();
        if bytes.len() < 15
            || bytes.len() > 34
            || !bytes[..2].iter().all(u8::is_ascii_uppercase)
            || !bytes[2..4].iter().all(u8::is_ascii_digit)
            || !bytes[4..].iter().all(u8::is_ascii_alphanumeric)
        {
            return Err(PaymentRefError::IbanFormat);
        }
        let country = &compact[..2];
        if iban_length(country).is_some_and(|length| length != bytes.len()) {
            return Err(PaymentRefError::IbanLength);
        }
        if country == "BE" && !bytes[4..].iter().all(u8::is_ascii_digit) {
            return Err(PaymentRefError::IbanFormat);
        }
        // The country and check digits move to the end; letters count as 10 to 35.
        let rearranged = compact[4..].chars().chain(compact[..4].chars());
        let digits = rearranged.flat_map(|c| {
            let value = c.to_digit(36).unwrap_or(0);
            if value >= 10 {
                vec![value / 10, value % 10]
            } else {
                vec![value]
            }
        });
        if mod97(digits) != 1 {
            return Err(PaymentRefError::IbanCheck);
        }
        if country == "BE" {
            // The Belgian account number inside carries its own check (last 2 of 12 digits).
            let base: u64 = compact[4..14]
                .parse()
                .map_err(|_| PaymentRefError::IbanFormat)?;
            let check: u64 = compact[14..]
                .parse()
                .map_err(|_| PaymentRefError::IbanFormat)?;
            if belgian_check(base) != check {
                return Err(PaymentRefError::IbanCheck);
            }
        }
        Ok(Self(compact))
    }

    /// The electronic form, without spaces: `BE68539007547034`.
    pub fn electronic(&self) -> &str {
        &self.0
    }

    /// The two-letter country code.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

impl AsRef<str> for Iban {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Iban {
    type Err = PaymentRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The printed form, in groups of four: `BE68 5390 0754 7034`.
impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, chunk) in self.0.as_bytes().chunks(4).enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            // Chunks of an ASCII string are ASCII.
            f.write_str(std::str::from_utf8(chunk).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// A Business Identifier Code (ISO 9362): bank (4 letters), country (2 letters), location
/// (2 letters or digits) and an optional branch (3 letters or digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bic(String);

impl Bic {
    pub fn parse(raw: &str) -> Result<Self, PaymentRefError> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = compact.as_bytes();
        let well_formed = matches!(bytes.len(), 8 | 11)
            && bytes[..6].iter().all(u8::is_ascii_uppercase)
            && bytes[6..].iter().all(u8::is_ascii_alphanumeric);
        if !well_formed {
            return Err(PaymentRefError::BicFormat);
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Bic {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Bic {
    type Err = PaymentRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Belgian structured communication (`+++123/4567/89002+++`): a 10-digit base and 2 check
/// digits, the base modulo 97, or 97 when the remainder is 0 (FACTS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StructuredCommunication(u64);

impl StructuredCommunication {
    /// One more than the largest base (10 digits).
    pub const BASE_LIMIT: u64 = 10_000_000_000;

    /// The communication of a base number below 10^10, with its check digits.
    pub fn from_base(base: u64) -> Result<Self, PaymentRefError> {
        if base >= Self::BASE_LIMIT {
            return Err(PaymentRefError::CommunicationRange);
        }
        Ok(Self(base))
    }

    /// Accepts `+++123/4567/89002+++`, `***123/4567/89002***`, `123/4567/89002` or the 12
    /// digits, with spaces anywhere; refuses wrong check digits.
    pub fn parse(raw: &str) -> Result<Self, PaymentRefError> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let inner = ["+++", "***"]
            .iter()
            .find_map(|fence| {
                compact
                    .strip_prefix(fence)
                    .and_then(|rest| rest.strip_suffix(fence))
            })
            .unwrap_or(&compact);
        let digits: String = if inner.contains('/') {
            let parts: Vec<&str> = inner.split('/').collect();
            if parts.iter().map(|p| p.len()).collect::<Vec<_>>() != [3, 4, 5] {
                return Err(PaymentRefError::CommunicationFormat);
            }
            parts.concat()
        } else {
            inner.to_owned()
        };
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PaymentRefError::CommunicationFormat);
        }
        let base: u64 = digits[..10]
            .parse()
            .map_err(|_| PaymentRefError::CommunicationFormat)?;
        let check: u64 = digits[10..]
            .parse()
            .map_err(|_| PaymentRefError::CommunicationFormat)?;
        if belgian_check(base) != check {
            return Err(PaymentRefError::CommunicationCheck);
        }
        Ok(Self(base))
    }

    pub fn base(self) -> u64 {
        self.0
    }

    /// The two check digits, 01 to 97.
    pub fn check(self) -> u64 {
        belgian_check(self.0)
    }

    /// The 12 digits, without separators: `123456789002`.
    pub fn digits(self) -> String {
        format!("{:010}{:02}", self.0, self.check())
    }
}

impl FromStr for StructuredCommunication {
    type Err = PaymentRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The printed form: `+++123/4567/89002+++`.
impl fmt::Display for StructuredCommunication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.digits();
        write!(
            f,
            "+++{}/{}/{}+++",
            &digits[..3],
            &digits[3..7],
            &digits[7..]
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_ibans_are_accepted_and_printed_by_four() {
        let iban = Iban::parse("be68 5390 0754 7034").unwrap();
        assert_eq!(iban.electronic(), "BE68539007547034");
        assert_eq!(iban.to_string(), "BE68 5390 0754 7034");
        assert_eq!(iban.country(), "BE");
        for valid in [
            "BE71 0961 2345 6769",
            "GB82 WEST 1234 5698 7654 32",
            "DE89 3704 0044 0532 0130 00",
            "FR14 2004 1010 0505 0001 3M02 606",
            "NL91ABNA0417164300",
        ] {
            assert!(Iban::parse(valid).is_ok(), "{valid}");
        }
        assert_eq!(
            Iban::parse("GB82WEST12345698765432").unwrap().to_string(),
            "GB82 WEST 1234 5698 7654 32"
        );
    }

    #[test]
    fn wrong_ibans_are_refused_with_the_reason() {
        assert_eq!(
            Iban::parse("BE68 5390 0754 7035"),
            Err(PaymentRefError::IbanCheck)
        );
        assert_eq!(
            Iban::parse("BE86 5390 0754 7034"),
            Err(PaymentRefError::IbanCheck)
        );
        // A Belgian IBAN has 16 characters.
        assert_eq!(
            Iban::parse("BE68 5390 0754 70344"),
            Err(PaymentRefError::IbanLength)
        );
        assert_eq!(Iban::parse(""), Err(PaymentRefError::IbanFormat));
        assert_eq!(
            Iban::parse("6868 5390 0754 7034"),
            Err(PaymentRefError::IbanFormat)
        );
        assert_eq!(
            Iban::parse("BE68-5390-0754-7034"),
            Err(PaymentRefError::IbanFormat)
        );
    }

    #[test]
    fn a_belgian_iban_with_a_wrong_inner_account_check_is_refused() {
        // BE + check digits recomputed so that ISO 13616 passes, but the 12-digit Belgian account
        // 539007547035 has the wrong national check (should be 34).
        let bban = "539007547035";
        let numeric = format!("{bban}111400");
        let check = 98 - mod97(numeric.chars().map(|c| c.to_digit(10).unwrap()));
        let iban = format!("BE{check:02}{bban}");
        assert_eq!(Iban::parse(&iban), Err(PaymentRefError::IbanCheck));
    }

    #[test]
    fn bics_have_8_or_11_characters() {
        assert_eq!(Bic::parse("gkcc be bb").unwrap().as_str(), "GKCCBEBB");
        assert!(Bic::parse("BBRUBEBB010").is_ok());
        assert_eq!(Bic::parse("GKCCBE"), Err(PaymentRefError::BicFormat));
        assert_eq!(Bic::parse("GKCCBEBB0"), Err(PaymentRefError::BicFormat));
        assert_eq!(Bic::parse("1KCCBEBB"), Err(PaymentRefError::BicFormat));
    }

    #[test]
    fn structured_communications_carry_the_mod_97_check() {
        // 1234567890 mod 97 = 2.
        let sc = StructuredCommunication::from_base(1_234_567_890).unwrap();
        assert_eq!(sc.to_string(), "+++123/4567/89002+++");
        assert_eq!(sc.digits(), "123456789002");
        // A remainder of 0 gives the check digits 97.
        let zero = StructuredCommunication::from_base(0).unwrap();
        assert_eq!(zero.to_string(), "+++000/0000/00097+++");
        let multiple = StructuredCommunication::from_base(97 * 12_345).unwrap();
        assert_eq!(multiple.check(), 97);
        assert_eq!(
            StructuredCommunication::from_base(10_000_000_000),
            Err(PaymentRefError::CommunicationRange)
        );
    }

    #[test]
    fn structured_communications_parse_in_every_usual_form() {
        let expected = StructuredCommunication::from_base(1_234_567_890).unwrap();
        for form in [
            "+++123/4567/89002+++",
            "***123/4567/89002***",
            "123/4567/89002",
            "123456789002",
            " +++ 123 / 4567 / 89002 +++ ",
        ] {
            assert_eq!(StructuredCommunication::parse(form), Ok(expected), "{form}");
        }
        assert_eq!(
            StructuredCommunication::parse("+++123/4567/89003+++"),
            Err(PaymentRefError::CommunicationCheck)
        );
        assert_eq!(
            StructuredCommunication::parse("+++1234/567/89002+++"),
            Err(PaymentRefError::CommunicationFormat)
        );
        assert_eq!(
            StructuredCommunication::parse("12345678900"),
            Err(PaymentRefError::CommunicationFormat)
        );
        assert_eq!(
            StructuredCommunication::parse("+++123/4567/8900A+++"),
            Err(PaymentRefError::CommunicationFormat)
        );
    }

    proptest! {
        #[test]
        fn every_generated_communication_parses_back(base in 0u64..StructuredCommunication::BASE_LIMIT) {
            let sc = StructuredCommunication::from_base(base).unwrap();
            prop_assert_eq!(StructuredCommunication::parse(&sc.to_string()), Ok(sc));
            prop_assert_eq!(StructuredCommunication::parse(&sc.digits()), Ok(sc));
            prop_assert_eq!(sc.digits().len(), 12);
        }

        #[test]
        fn a_changed_digit_is_refused(
            base in 0u64..StructuredCommunication::BASE_LIMIT,
            position in 0usize..12,
            shift in 1u32..10,
        ) {
            let digits = StructuredCommunication::from_base(base).unwrap().digits();
            let mut changed: Vec<char> = digits.chars().collect();
            let old = changed[position].to_digit(10).unwrap();
            changed[position] = char::from_digit((old + shift) % 10, 10).unwrap();
            let changed: String = changed.into_iter().collect();
            // A changed base digit moves the base by d × 10^k, never a multiple of 97 (a prime
            // dividing neither d nor 10), so its remainder changes; a changed check digit no
            // longer equals the one check the base has.
            prop_assert!(StructuredCommunication::parse(&changed).is_err(), "{} → {}", digits, changed);
        }

        #[test]
        fn generated_belgian_ibans_parse_and_print_back(account in 0u64..StructuredCommunication::BASE_LIMIT) {
            let bban = format!("{account:010}{:02}", belgian_check(account));
            let numeric = format!("{bban}111400");
            let check = 98 - mod97(numeric.chars().map(|c| c.to_digit(10).unwrap()));
            let iban = Iban::parse(&format!("BE{check:02}{bban}")).unwrap();
            let printed = iban.to_string();
            prop_assert_eq!(printed.len(), 19);
            prop_assert_eq!(Iban::parse(printed.as_str()), Ok(iban));
        }
    }
}
