//! CSRF protection for every form: a random token in a cookie that each form must echo in a
//! hidden field (double-submit). A cross-site page can send the cookie but cannot read it.

use axum::{
    extract::Request,
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};

use crate::services::auth::new_token;

pub const COOKIE: &str = "cmh_csrf";
pub const FIELD: &str = "csrf_token";

/// The token of the current visitor, for forms to embed.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

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

/// Gives every visitor a token, set as a cookie on the first response.
pub async fn ensure_cookie(mut request: Request, next: Next) -> Response {
    let existing = cookie_value(request.headers(), COOKIE).filter(|t| t.len() >= 32);
    let (token, fresh) = match existing {
        Some(token) => (token, false),
        None => (new_token(), true),
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if fresh {
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Whether a submitted token matches the visitor's cookie (compared in constant time).
pub fn verify(headers: &HeaderMap, submitted: &str) -> bool {
    let Some(expected) = cookie_value(headers, COOKIE) else {
        return false;
    };
    expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}
