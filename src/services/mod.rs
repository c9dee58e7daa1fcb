//! Use cases shared by the pages and the JSON API.

pub mod accounts;
pub mod assess;
pub mod auth;
pub mod books;
pub mod commune;
pub mod continuity;
pub mod documents;
pub mod holidays;
pub mod links;
pub mod offers;
pub mod permits;
pub mod queue;
pub mod reference;
pub mod schedule;
pub mod submit;

/// What a use case fails with when storage fails or a row is missing; the pages and the API
/// turn it into 404 or a logged 500.
pub use crate::db::DbError;
