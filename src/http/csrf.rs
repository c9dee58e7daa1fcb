//! CSRF protection for every form, in two layers.
//!
//! 1. The browser says where a form comes from: a form sent from another site (another port,
//!    a sibling subdomain included: `Sec-Fetch-Site: same-site`) is refused, and so is one
//!    whose `Origin` is not this site's.
//! 2. Each form carries a token the server derives from a secret cookie: from the session
//!    when signed in, so that a cookie tossed in by a same-site page or a network attacker
//!    cannot forge a staff action (they cannot know the session); from a random visitor
//!    cookie otherwise (double submit).

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::extract::SESSION_COOKIE;
use crate::{services::auth::new_token, state::AppState};

pub const COOKIE: &str = "cmh_csrf";
pub const FIELD: &str = "csrf_token";

/// The visitor cookie is at least this long (a random token); anything shorter is replaced.
const MIN_COOKIE_LEN: usize = 32;

/// The token of the current visitor, for forms to embed.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Why a form was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Sent from another site (`Sec-Fetch-Site` or `Origin`).
    CrossSite,
    /// The token is missing or is not this visitor's.
    Token,
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The form token of a visitor whose session cookie is `session` and visitor cookie is
/// `visitor`: keyed by the session when there is one.
fn form_token(session: Option<&str>, visitor: &str) -> String {
    let (purpose, key) = match session {
        Some(session) => (&b"cmh form token: session"[..], session),
        None => (&b"cmh form token: visitor"[..], visitor),
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(purpose);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE).filter(|value| !value.is_empty())
}

/// Gives every visitor a cookie, set on the first response, and the form token derived from
/// it (or from their session) for the page to embed.
pub async fn ensure_cookie(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let existing = cookie_value(request.headers(), COOKIE).filter(|t| t.len() >= MIN_COOKIE_LEN);
    let (visitor, fresh) = match existing {
        Some(token) => (token, false),
        None => (new_token(), true),
    };
    let session = session_of(request.headers());
    request
        .extensions_mut()
        .insert(CsrfToken(form_token(session.as_deref(), &visitor)));
    let mut response = next.run(request).await;
    if fresh {
        let secure = if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!("{COOKIE}={visitor}; Path=/; HttpOnly; SameSite=Lax{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Whether the browser sent this form from this site. Browsers that say where a request
/// comes from (`Sec-Fetch-Site`) are believed: only `same-origin` and `none` (typed or
/// bookmarked) pass. Otherwise an `Origin` header, when present, must name this host.
fn from_this_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, authority)| authority);
    matches!((origin_host, host), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}

/// Checks a submitted form: from this site, with this visitor's token (compared in constant
/// time).
pub fn check(headers: &HeaderMap, submitted: &str) -> Result<(), Refusal> {
    if !from_this_site(headers) {
        return Err(Refusal::CrossSite);
    }
    let Some(visitor) = cookie_value(headers, COOKIE) else {
        return Err(Refusal::Token);
    };
    let expected = form_token(session_of(headers).as_deref(), &visitor);
    let same = expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same { Ok(()) } else { Err(Refusal::Token) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    const VISITOR: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_in_form_token_belongs_to_its_session() {
        let token = form_token(Some("session-a"), VISITOR);
        let mine = headers(&[(
            "cookie",
            "cmh_csrf=0123456789abcdef0123456789abcdef; cmh_session=session-a",
        )]);
        assert_eq!(check(&mine, &token), Ok(()));
        // The same visitor cookie with another session, or none: refused.
        let other = headers(&[(
            "cookie",
            "cmh_csrf=0123456789abcdef0123456789abcdef; cmh_session=session-b",
        )]);
        assert_eq!(check(&other, &token), Err(Refusal::Token));
        let tossed = headers(&[("cookie", "cmh_csrf=0123456789abcdef0123456789abcdef")]);
        assert_eq!(check(&tossed, &token), Err(Refusal::Token));
        // The raw cookie value is not a token.
        assert_eq!(check(&tossed, VISITOR), Err(Refusal::Token));
    }

    #[test]
    fn only_forms_from_this_site_pass() {
        let token = form_token(None, VISITOR);
        let cookie = ("cookie", "cmh_csrf=0123456789abcdef0123456789abcdef");
        for (site, origin, expected) in [
            (Some("same-origin"), None, Ok(())),
            (Some("none"), None, Ok(())),
            (Some("same-site"), None, Err(Refusal::CrossSite)),
            (Some("cross-site"), None, Err(Refusal::CrossSite)),
            (None, Some("http://portal.example:8080"), Ok(())),
            (
                None,
                Some("http://portal.example:8081"),
                Err(Refusal::CrossSite),
            ),
            (
                None,
                Some("http://evil.portal.example:8080"),
                Err(Refusal::CrossSite),
            ),
            (None, Some("null"), Err(Refusal::CrossSite)),
            (None, None, Ok(())),
        ] {
            let mut pairs = vec![cookie, ("host", "portal.example:8080")];
            if let Some(site) = site {
                pairs.push(("sec-fetch-site", site));
            }
            if let Some(origin) = origin {
                pairs.push(("origin", origin));
            }
            assert_eq!(
                check(&headers(&pairs), &token),
                expected,
                "{site:?} {origin:?}"
            );
        }
    }
}
