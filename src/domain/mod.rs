//! Pure types and rules: no I/O, no web or database imports.

pub mod centres;
pub mod coda;
pub mod company;
pub mod contact;
pub mod document;
pub mod dues;
pub mod error;
pub mod geo;
pub mod idempotency;
pub mod lambert;
pub mod links;
pub mod money;
pub mod nuisance;
pub mod payment;
pub mod permit;
pub mod request;
pub mod retry;
pub mod servicing;
pub mod survey;
pub mod tenancy;
pub mod timeline;
pub mod webhook;

pub use company::CompanyNumber;
pub use contact::{EmailAddress, Language, PersonName, PhoneNumber};
pub use document::{DocumentKind, FileRefusal, FileType, RequestQuota};
pub use error::{FieldErrors, InputError};
pub use geo::{Commune, MapPoint, Postcode, PostcodeDirectory, Region};
pub use payment::{Bic, Iban, PaymentRefError, StructuredCommunication};
pub use request::{
    ApplicantKind, Building, Dwelling, ElectricityBand, IdempotencyKey, NewRequest, Reference,
    RequestInput, RequestState, Service, ServiceCode, VatStatus,
};
