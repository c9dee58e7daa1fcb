//! Pure types and rules: no I/O, no web or database imports.

/// A stored code read back; one the platform does not know is an error, never a guess. Takes
/// an enum whose variants are each paired with the code the database holds (`Pending =
/// "pending"`): those pairs are the one place each code is written. Generates the enum (its
/// attributes and its variants' passed through, and the derives every code needs: `Copy`
/// for `code(self)`, equality and hashing), `ALL` (every value, in declaration order),
/// `code()`, `FromStr`, `TryFrom<String>` (for `#[sqlx(try_from = "String")]`) and `Display`.
/// Other methods go in a separate `impl`.
macro_rules! stored_code {
    (
        $(#[$meta:meta])*
        $vis:vis enum $type:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $code:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $type {
            $(
                $(#[$variant_meta])*
                $variant,
            )+
        }

        impl $type {
            /// Every value, in declaration order.
            pub const ALL: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// What the database holds.
            pub fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }
        }

        impl std::str::FromStr for $type {
            type Err = $crate::domain::InputError;

            fn from_str(code: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|value| value.code() == code)
                    .ok_or($crate::domain::InputError::Choice)
            }
        }

        impl TryFrom<String> for $type {
            type Error = $crate::domain::InputError;

            fn try_from(code: String) -> Result<Self, Self::Error> {
                code.parse()
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
pub(crate) use stored_code;

/// Checks a [`stored_code`] type against the codes the database holds, written out: each reads
/// back as its value and prints as its code, and nothing else reads back (no guess).
#[cfg(test)]
pub(crate) fn assert_stored_codes<T>(codes: &[(&str, T)], look_alikes: &[&str])
where
    T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug + Copy,
    T::Err: std::fmt::Debug,
{
    for (code, value) in codes {
        assert_eq!(code.parse::<T>().ok(), Some(*value), "{code}");
        assert_eq!(value.to_string(), *code);
    }
    for look_alike in look_alikes {
        assert!(look_alike.parse::<T>().is_err(), "{look_alike:?} read back");
    }
}

pub mod assessment;
pub mod centres;
pub mod coda;
pub mod company;
pub mod contact;
pub mod document;
pub mod dues;
pub mod error;
pub mod geo;
pub mod idempotency;
pub mod ids;
pub mod lambert;
pub mod links;
pub mod money;
pub mod nuisance;
pub mod offer;
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
pub use ids::{
    AcceptanceCodeId, ApiKeyId, AssessmentId, CrewId, DeliveryId, DocumentId, DossierInvoiceId,
    DueId, EndpointId, HeldInvitationId, HolidayId, MalformedId, OfferId, OrganisationId, OutboxId,
    PaymentId, PermitId, RequestId, StatementId, StatementLineId, UserId,
};
pub use payment::{Bic, Iban, PaymentRefError, StructuredCommunication};
pub use request::{
    ApplicantKind, Building, Dwelling, ElectricityBand, FormKey, NewRequest, Reference,
    RequestInput, RequestState, Service, ServiceCode, VatStatus,
};
