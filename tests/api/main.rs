//! HTTP-level tests: each test spawns the app on a random port with its own fresh database
//! (SQLite by default, PostgreSQL when CMH_TEST_DATABASE_URL points to a server).

mod accounts;
mod assessments;
mod books;
mod concurrency;
mod construction_holidays;
mod continuity;
mod coverage;
mod documents;
mod estimates;
mod existing_homes;
mod feedback;
mod filing;
mod hardening;
mod helpers;
mod joint_day;
mod languages;
mod lifecycle;
mod limits;
mod links;
mod mail;
mod municipality;
mod offer_documents;
mod offers;
mod openapi;
mod partners;
mod queue;
mod refusals;
mod security_matrix;
mod servicing;
mod servicing_vat;
mod staff;
mod tariff_gap;
mod tariff_gap_upload;
mod tenancy;
mod water;
