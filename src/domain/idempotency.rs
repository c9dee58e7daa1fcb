//! The `Idempotency-Key` a client sends with a POST (issue 21): the same key with the same
//! request gets the first answer again.

/// Longest key accepted.
pub const MAX_LEN: usize = 200;

/// A key as a client may send it: 1 to 200 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key of a header's bytes, surrounding spaces trimmed; `None` when it is no key.
    pub fn parse(raw: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(raw).ok()?.trim();
        let valid =
            !text.is_empty() && text.len() <= MAX_LEN && text.chars().all(|c| c.is_ascii_graphic());
        valid.then(|| Self(text.to_owned()))
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_one_to_two_hundred_visible_characters() {
        assert_eq!(
            IdempotencyKey::parse(b" wo-2026-4711 ").unwrap().as_ref(),
            "wo-2026-4711"
        );
        assert!(IdempotencyKey::parse("x".repeat(MAX_LEN).as_bytes()).is_some());
        for raw in [
            &b""[..],
            b"   ",
            b"two words",
            b"tab\there",
            "caf\u{e9}".as_bytes(),
            &[0xff, 0xfe],
            "x".repeat(MAX_LEN + 1).as_bytes(),
        ] {
            assert_eq!(IdempotencyKey::parse(raw), None, "{raw:?}");
        }
    }
}
