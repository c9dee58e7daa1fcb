//! Where a visitor may be sent back to after signing in or switching language: a path of this
//! site, never another origin.
//!
//! Browsers drop tabs and line breaks inside a URL and read `\` as `/`, so `/\t/evil.example`
//! or `/\evil.example` is `//evil.example`, another origin. Only a path of visible ASCII that
//! starts with one `/` is kept; anything else sends the visitor home. A line break could not be
//! written in a `Location` header at all.

/// A path on this site, safe to put in a `Location` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// The home page, where anything unsafe sends the visitor.
    pub fn home() -> Self {
        Self("/".to_owned())
    }

    /// `next` if it is a local path, else the home page.
    pub fn parse_or_home(next: Option<&str>) -> Self {
        next.and_then(Self::parse).unwrap_or_else(Self::home)
    }

    fn parse(text: &str) -> Option<Self> {
        let mut chars = text.chars();
        let local = chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && text.chars().all(|c| c.is_ascii_graphic() && c != '\\');
        local.then(|| Self(text.to_owned()))
    }

    pub fn is_home(&self) -> bool {
        self.0 == "/"
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str) -> String {
        LocalPath::parse_or_home(Some(text)).as_str().to_owned()
    }

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(
            kept("/backoffice?state=submitted"),
            "/backoffice?state=submitted"
        );
        assert_eq!(kept("/track/abc#offer"), "/track/abc#offer");
        assert_eq!(kept("/"), "/");
    }

    #[test]
    fn other_origins_go_home() {
        for text in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/127.0.0.1:8399/x",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/back\u{0}office",
            "/caf\u{e9}",
            "evil.example",
            "",
        ] {
            assert_eq!(kept(text), "/", "{text:?}");
        }
        assert_eq!(LocalPath::parse_or_home(None), LocalPath::home());
    }
}
