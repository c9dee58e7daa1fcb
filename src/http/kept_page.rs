//! Pages rendered once for every reader of the same kept view (`services::kept`): the
//! officer's request page, the citizen's status page. Only the page as it first opens is kept
//! (no notice, no query): a page after a change is rendered for its reader.
//!
//! Each reader's form token differs (it is derived from their session or visitor cookie), so
//! the page is rendered with a placeholder in its place, cut there, and served with the
//! reader's token put back. The token is hexadecimal, which HTML writes as it is.

use std::{
    future::Future,
    hash::{DefaultHasher, Hash, Hasher},
    sync::Arc,
};

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

use super::frame::Frame;
use crate::state::AppState;

/// Stands for the reader's form token in a kept page: letters and digits only, so the
/// template writes it unchanged. Text typed with it (a name, a note) would show as the
/// reader's own token, and only to that reader: nothing leaks to anybody else.
const TOKEN_PLACEHOLDER: &str = "cmhformtoken0placeholder0d41f7c2";

/// Whether the page asked for is the one kept: its address carries no query (a notice, a
/// section's outcome, or anything else the page might one day read from it).
pub fn plain(frame: &Frame) -> bool {
    !frame.path.contains('?')
}

/// The reader's form token, and their frame with the placeholder in its place.
pub fn reader_of(mut frame: Frame) -> (String, Frame) {
    let token = std::mem::replace(&mut frame.csrf, TOKEN_PLACEHOLDER.to_owned());
    (token, frame)
}

/// The page kept under `key` for `source`, else the one `render` writes (with the frame of
/// [`reader_of`]), kept; served with the reader's `token`.
pub async fn serve<V, E>(
    state: &AppState,
    key: String,
    source: &Arc<V>,
    token: &str,
    render: impl Future<Output = Result<String, E>>,
) -> Result<Response, E>
where
    V: Send + Sync + 'static,
{
    let page = match state.pages.get(&key, source) {
        Some(page) => page,
        None => {
            let html = render.await?;
            let pieces = html.split(TOKEN_PLACEHOLDER).map(str::to_owned).collect();
            state.pages.keep(key, source, pieces)
        }
    };
    Ok(html(&page.pieces, token))
}

/// The pieces joined by `token`, as the page's answer.
fn html(pieces: &[String], token: &str) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        joined(pieces, token),
    )
        .into_response()
}

fn joined(pieces: &[String], token: &str) -> String {
    // A token HTML would write otherwise is left out rather than put in as it is (tokens are
    // hexadecimal: never the case); the form is then refused as without one.
    let token = if token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        token
    } else {
        ""
    };
    let gaps = pieces.len().saturating_sub(1);
    let mut body =
        String::with_capacity(pieces.iter().map(String::len).sum::<usize>() + token.len() * gaps);
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            body.push_str(token);
        }
        body.push_str(piece);
    }
    body
}

/// A short digest of what a kept page depends on besides its view, for its key.
pub fn digest(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(html: &str) -> Vec<String> {
        html.split(TOKEN_PLACEHOLDER).map(str::to_owned).collect()
    }

    #[test]
    fn each_placeholder_becomes_the_readers_token() {
        let page = cut(&format!(
            "<form><input name=\"csrf_token\" value=\"{TOKEN_PLACEHOLDER}\"></form>\
             <form><input name=\"csrf_token\" value=\"{TOKEN_PLACEHOLDER}\"></form>"
        ));
        assert_eq!(
            joined(&page, "9f86d081884c"),
            "<form><input name=\"csrf_token\" value=\"9f86d081884c\"></form>\
             <form><input name=\"csrf_token\" value=\"9f86d081884c\"></form>"
        );
        assert_eq!(
            joined(&cut("<p>no form</p>"), "9f86d081884c"),
            "<p>no form</p>"
        );
    }

    #[test]
    fn a_token_html_would_escape_is_left_out() {
        let page = cut(&format!("<input value=\"{TOKEN_PLACEHOLDER}\">"));
        assert_eq!(joined(&page, "\"><script>"), "<input value=\"\">");
    }

    #[test]
    fn the_reader_gets_the_placeholder_and_keeps_the_token() {
        let frame = Frame {
            csrf: "abc123".to_owned(),
            ..Frame::default()
        };
        let (token, frame) = reader_of(frame);
        assert_eq!(token, "abc123");
        assert_eq!(frame.csrf, TOKEN_PLACEHOLDER);
    }
}
