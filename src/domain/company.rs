use std::fmt;

use super::InputError;

/// A Belgian company number (BCE/KBO): 10 digits, the last two being
/// 97 − (first eight mod 97).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyNumber(String);

impl CompanyNumber {
    /// Accepts the usual spellings: `0403.170.701`, `BE 0403 170 701`, `403170701`.
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let trimmed = raw.trim();
        let without_country = trimmed
            .strip_prefix("BE")
            .or_else(|| trimmed.strip_prefix("be"))
            .unwrap_or(trimmed);
        if without_country
            .chars()
            .any(|c| !(c.is_ascii_digit() || matches!(c, '.' | ' ' | '-')))
        {
            return Err(InputError::CompanyNumberFormat);
        }
        let mut digits: String = without_country
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect();
        // Older numbers were written with 9 digits; a leading 0 completes them.
        if digits.len() == 9 {
            digits.insert(0, '0');
        }
        if digits.len() != 10 || !(digits.starts_with('0') || digits.starts_with('1')) {
            return Err(InputError::CompanyNumberFormat);
        }
        let base: u64 = digits[..8]
            .parse()
            .map_err(|_| InputError::CompanyNumberFormat)?;
        let check: u64 = digits[8..]
            .parse()
            .map_err(|_| InputError::CompanyNumberFormat)?;
        if 97 - base % 97 != check {
            return Err(InputError::CompanyNumberCheck);
        }
        Ok(Self(digits))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CompanyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        write!(f, "{}.{}.{}", &d[..4], &d[4..7], &d[7..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_real_company_numbers_in_usual_spellings() {
        // ORES Assets and Proximus, as published in the Crossroads Bank for Enterprises.
        for raw in [
            "0543.696.579",
            "BE 0543 696 579",
            "0202239951",
            "202.239.951",
        ] {
            assert!(CompanyNumber::parse(raw).is_ok(), "{raw}");
        }
        assert_eq!(
            CompanyNumber::parse("be0202239951").unwrap().to_string(),
            "0202.239.951"
        );
    }

    #[test]
    fn refuses_wrong_check_digits_and_formats() {
        assert_eq!(
            CompanyNumber::parse("0543.696.578"),
            Err(InputError::CompanyNumberCheck)
        );
        assert_eq!(
            CompanyNumber::parse("12345"),
            Err(InputError::CompanyNumberFormat)
        );
        assert_eq!(
            CompanyNumber::parse("0543/696/579"),
            Err(InputError::CompanyNumberFormat)
        );
        assert_eq!(
            CompanyNumber::parse("2543696579"),
            Err(InputError::CompanyNumberFormat)
        );
    }

    proptest! {
        #[test]
        fn every_base_with_its_check_digits_is_accepted(base in 0u64..20_000_000) {
            let check = 97 - base % 97;
            let raw = format!("{base:08}{check:02}");
            let parsed = CompanyNumber::parse(&raw).unwrap();
            prop_assert_eq!(parsed.digits(), raw.as_str());
        }

        #[test]
        fn any_other_check_digits_are_refused(base in 0u64..20_000_000, wrong in 0u64..100) {
            prop_assume!(wrong != 97 - base % 97);
            let raw = format!("{base:08}{wrong:02}");
            prop_assert!(CompanyNumber::parse(&raw).is_err());
        }
    }
}
