//! Multipart upload forms (documents, bank statements): every part bounded, the CSRF token
//! read from the form like any other field, the file kept up to a limit.

use axum::extract::Multipart;

use super::error::PageError;

/// The upload form as read: every part bounded, nothing unbounded kept in memory.
#[derive(Default)]
pub struct UploadForm {
    pub csrf_token: String,
    /// The other text parts, by name.
    pub fields: Vec<(String, String)>,
    pub filename: String,
    pub bytes: Vec<u8>,
    /// The file went past the limit: its bytes were read and dropped.
    pub too_large: bool,
}

impl UploadForm {
    /// A text part's value; empty when the form did not send it.
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_default()
    }
}

/// Longest text part (the CSRF token, the kind).
const TEXT_PART_MAX: usize = 1024;
/// Most parts a form may have.
const PARTS_MAX: usize = 8;

async fn read_text(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, PageError> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
        if text.len() + chunk.len() > TEXT_PART_MAX {
            return Err(PageError::BadRequest("form field too long".into()));
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| PageError::BadRequest("form field not UTF-8".into()))
}

fn bad_form(error: axum::extract::multipart::MultipartError) -> PageError {
    PageError::BadRequest(error.body_text())
}

/// Reads the multipart form. The file is kept up to `max` bytes; past that, the rest is read
/// and dropped (up to twice the limit, so the browser gets the answer) and `too_large` is set.
pub async fn read_upload(multipart: &mut Multipart, max: u64) -> Result<UploadForm, PageError> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let drain_limit = max.saturating_mul(2).saturating_add(1024 * 1024);
    let mut form = UploadForm::default();
    let mut parts = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(bad_form)? {
        parts += 1;
        if parts > PARTS_MAX {
            return Err(PageError::BadRequest("too many form fields".into()));
        }
        match field.name().unwrap_or_default() {
            "csrf_token" => form.csrf_token = read_text(&mut field).await?,
            "file" => {
                form.filename = field.file_name().unwrap_or_default().to_owned();
                let mut seen = 0usize;
                while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                    seen = seen.saturating_add(chunk.len());
                    if seen > max {
                        form.too_large = true;
                        form.bytes = Vec::new();
                        if seen > drain_limit {
                            return Err(PageError::TooLarge);
                        }
                    } else {
                        form.bytes.extend_from_slice(&chunk);
                    }
                }
            }
            name => {
                let name = name.to_owned();
                let value = read_text(&mut field).await?;
                form.fields.push((name, value));
            }
        }
    }
    Ok(form)
}
