//! What pages and the API share: extractors (language, session, staff, CSRF-checked forms),
//! the page frame, the errors at the edge, shared query types and response headers.

pub mod client;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod frame;
pub mod headers;
pub mod kept_page;
pub mod query;
pub mod redirect;
pub mod refusal;
pub mod upload;
