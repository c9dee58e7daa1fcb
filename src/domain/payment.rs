//! Payment references (placeholder until the full implementation lands).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StructuredCommunication(u64);

impl StructuredCommunication {
    pub fn from_base(base: u64) -> Result<Self, super::InputError> {
        if base >= 10_000_000_000 {
            return Err(super::InputError::Choice);
        }
        Ok(Self(base))
    }
}

impl fmt::Display for StructuredCommunication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let check = match self.0 % 97 {
            0 => 97,
            r => r,
        };
        let digits = format!("{:010}{check:02}", self.0);
        write!(
            f,
            "+++{}/{}/{}+++",
            &digits[0..3],
            &digits[3..7],
            &digits[7..12]
        )
    }
}

/// An IBAN (placeholder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iban(String);

impl Iban {
    pub fn parse(raw: &str) -> Result<Self, super::InputError> {
        Ok(Self(raw.replace(' ', "").to_uppercase()))
    }

    pub fn electronic(&self) -> String {
        self.0.clone()
    }
}
