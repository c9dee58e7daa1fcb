//! Use cases shared by the pages and the JSON API.

pub mod accounts;
pub mod assess;
pub mod auth;
pub mod books;
pub mod continuity;
pub mod documents;
pub mod holidays;
pub mod links;
pub mod offers;
pub mod permits;
pub mod schedule;
pub mod seed;
pub mod seed_history;
pub mod submit;
