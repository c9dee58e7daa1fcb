//! Use cases shared by the pages and the JSON API.

pub mod accounts;
pub mod api_keys;
pub mod assess;
pub mod assignment;
pub mod auth;
pub mod books;
pub mod case_file;
pub mod commune;
pub mod continuity;
pub mod coverage;
pub mod crews;
pub mod documents;
pub mod dossier_fee;
pub mod health;
pub mod holidays;
pub mod kept;
pub mod links;
pub mod offers;
pub mod operator_work;
pub mod outbox;
pub mod permits;
pub mod queue;
pub mod reference;
pub mod schedule;
pub mod statements;
pub mod submit;
pub mod summaries;
pub mod webhooks;
pub mod works;

/// What a use case fails with when storage fails or a row is missing; the pages and the API
/// turn it into 404 or a logged 500.
pub use crate::db::DbError;

/// A request as the use cases take and give it: the pages hand back what a read model gave them.
pub use crate::db::requests::RequestRow;
