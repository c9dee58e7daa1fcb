use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use super::{InputError, error::required_text};

/// A syntactically valid email address, stored as typed (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let value = required_text(raw, 254)?;
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(InputError::Email);
        };
        if !is_dot_atom(local)
            || !is_mail_domain(domain)
            || !email_address::EmailAddress::is_valid(&value)
        {
            return Err(InputError::Email);
        }
        Ok(Self(value))
    }
}

/// The local part as mail servers and our mailer take it: dot-separated atoms of letters,
/// digits and the RFC 5322 symbols. Quoted local parts (`"<script>…"@example.be`) are valid
/// RFC 5322 but refused by mailers, so an address is refused where it is typed.
fn is_dot_atom(local: &str) -> bool {
    local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c))
        })
}

/// A domain that can receive a citizen's mail: at least two labels (`a@localhost` never
/// does) of letters, digits and inner hyphens; no address literal.
fn is_mail_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// The mailbox an address delivers to, as far as a quota can tell: lower-cased and without a
/// `+tag` (`Marie+1@Example.be` and `marie@example.be` reach the same person).
pub fn mailbox_key(address: &str) -> String {
    let address = address.trim().to_lowercase();
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split_once('+').map_or(local, |(base, _)| base);
            format!("{local}@{domain}")
        }
        None => address,
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number: digits with optional leading `+` and the usual separators,
/// 8 to 15 digits (E.164 limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let value = required_text(raw, 30)?;
        let body = value.strip_prefix('+').unwrap_or(&value);
        if body
            .chars()
            .any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '.' | '/' | '-' | '(' | ')')))
        {
            return Err(InputError::Phone);
        }
        let digits = body.chars().filter(char::is_ascii_digit).count();
        if !(8..=15).contains(&digits) {
            return Err(InputError::Phone);
        }
        Ok(Self(value))
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A person's or company's name as they write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let value = required_text(raw, 200)?;
        if value.chars().any(char::is_control) {
            return Err(InputError::Choice);
        }
        Ok(Self(value))
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Languages of the interface and of the messages sent to an applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Fr,
    En,
    De,
    /// Dutch as written in Belgium (nl-BE): Flemish contractors and Dutch-speaking applicants.
    Nl,
}

impl Language {
    pub const ALL: [Language; 4] = [Language::Fr, Language::En, Language::De, Language::Nl];

    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
            Self::De => "de",
            Self::Nl => "nl",
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .filter_map(|tag| tag.trim().get(..2))
            .find_map(|prefix| prefix.to_ascii_lowercase().parse().ok())
    }
}

impl FromStr for Language {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "fr" => Ok(Self::Fr),
            "en" => Ok(Self::En),
            "de" => Ok(Self::De),
            "nl" => Ok(Self::Nl),
            _ => Err(InputError::Choice),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_of_one_mailbox_share_its_key() {
        assert_eq!(
            mailbox_key(" Marie.Dupont@Example.BE "),
            "marie.dupont@example.be"
        );
        assert_eq!(
            mailbox_key("marie.dupont+1@example.be"),
            "marie.dupont@example.be"
        );
        assert_eq!(
            mailbox_key("marie.dupont+a+b@example.be"),
            "marie.dupont@example.be"
        );
        assert_ne!(
            mailbox_key("marie@example.be"),
            mailbox_key("marie@example.com")
        );
        assert_eq!(mailbox_key("not an address"), "not an address");
    }

    #[test]
    fn email_needs_a_dotted_domain() {
        assert!(EmailAddress::parse(" marie.dupont@example.be ").is_ok());
        assert_eq!(
            EmailAddress::parse("marie@localhost"),
            Err(InputError::Email)
        );
        assert_eq!(
            EmailAddress::parse("marie.example.be"),
            Err(InputError::Email)
        );
        assert_eq!(EmailAddress::parse("  "), Err(InputError::Required));
    }

    #[test]
    fn email_is_refused_where_the_mailer_would_refuse_it() {
        for refused in [
            "\"<script>alert(1)</script>\"@example.be",
            "\"marie dupont\"@example.be",
            "marie..dupont@example.be",
            ".marie@example.be",
            "marie@[192.0.2.1]",
            "marie@-example.be",
            "marie@example..be",
            "marie@example.be.",
        ] {
            assert_eq!(
                EmailAddress::parse(refused),
                Err(InputError::Email),
                "{refused}"
            );
        }
        for accepted in [
            "marie.dupont+travaux@example.be",
            "o'brien@example.ie",
            "jean@société.be",
            "a@b-c.example.be",
        ] {
            assert!(EmailAddress::parse(accepted).is_ok(), "{accepted}");
        }
    }

    #[test]
    fn phone_accepts_belgian_spellings() {
        for ok in ["+32 65 12 34 56", "065/12.34.56", "0470 12 34 56"] {
            assert!(PhoneNumber::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["12345", "call me", "+32 65 12 34 56 78 90 12 34"] {
            assert_eq!(PhoneNumber::parse(bad), Err(InputError::Phone), "{bad}");
        }
    }

    #[test]
    fn accept_language_picks_first_supported() {
        assert_eq!(
            Language::from_accept_language("de-BE,en;q=0.8,fr;q=0.5"),
            Some(Language::De)
        );
        assert_eq!(
            Language::from_accept_language("nl-BE,en;q=0.8,fr;q=0.5"),
            Some(Language::Nl)
        );
        assert_eq!(Language::from_accept_language("DE"), Some(Language::De));
        assert_eq!(Language::from_accept_language("nl-BE"), Some(Language::Nl));
        assert_eq!(Language::from_accept_language("nl"), Some(Language::Nl));
        assert_eq!(Language::from_accept_language("es-ES,it;q=0.8"), None);
    }

    proptest! {
        #[test]
        fn email_parse_never_panics_and_keeps_text(s in "\\PC{0,80}") {
            if let Ok(email) = EmailAddress::parse(&s) {
                prop_assert_eq!(email.as_ref(), s.trim());
            }
        }
    }
}
