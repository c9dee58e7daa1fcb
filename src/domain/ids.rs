//! Ids as types. Every id is a UUID (version 7, so rows sort by creation), stored as its
//! hyphenated text; the type says which table's row it names, so a request's id cannot be
//! passed where an assessment's is expected, and text that is no UUID is refused where it
//! enters (a path, a form) instead of being looked up.

use std::{fmt, str::FromStr};

use uuid::Uuid;

/// Text that is not an id: a page or an answer names nothing, so it is "not found".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an id")]
pub struct MalformedId;

/// `0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b`.
const HYPHENATED_LEN: usize = 36;

/// A UUID in its stored, hyphenated writing only: `Uuid` alone also reads the simple, braced
/// and URN ones, which would give one id several addresses.
fn hyphenated(text: &str) -> Result<Uuid, MalformedId> {
    if text.len() != HYPHENATED_LEN {
        return Err(MalformedId);
    }
    Uuid::try_parse(text).map_err(|_| MalformedId)
}

/// Ids travel in JSON as the text they print and parse.
macro_rules! serde_as_text {
    ($name:ty) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id, for a row about to be written.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl FromStr for $name {
            type Err = MalformedId;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                hyphenated(text).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        serde_as_text!($name);
    };
}

uuid_id!(
    /// A connection request's id (`requests.id`).
    RequestId
);

uuid_id!(
    /// An operator's assessment of its part of a request (`assessments.id`).
    AssessmentId
);

uuid_id!(
    /// A document uploaded to a request: a plan, a photo, a study (`documents.id`).
    DocumentId
);

uuid_id!(
    /// A joint road-works permit asked of a commune for a request (`permits.id`).
    PermitId
);

uuid_id!(
    /// One version of a request's consolidated offer (`offers.id`).
    OfferId
);

uuid_id!(
    /// An organisation's webhook endpoint (`webhook_endpoints.id`).
    EndpointId
);

uuid_id!(
    /// An operator's crew (`crews.id`).
    CrewId
);

uuid_id!(
    /// A staff member's account (`users.id`).
    UserId
);

uuid_id!(
    /// An organisation of the platform: the coordinator, an operator, a commune
    /// (`organisations.id`).
    OrganisationId
);

uuid_id!(
    /// One delivery of a webhook event to one endpoint (`webhook_deliveries.id`).
    DeliveryId
);

uuid_id!(
    /// An organisation's API key (`api_keys.id`); never its secret.
    ApiKeyId
);

uuid_id!(
    /// A mail in the outbox, queued, sent or given up (`outbox.id`).
    OutboxId
);

uuid_id!(
    /// A bank statement (CODA) as uploaded once by its organisation (`bank_statements.id`).
    StatementId
);

uuid_id!(
    /// One credit line of a bank statement (`bank_statement_lines.id`).
    StatementLineId
);

uuid_id!(
    /// A period of construction holidays (`construction_holidays.id`).
    HolidayId
);

uuid_id!(
    /// The dossier-opening fee invoice of a servicing request (`dossier_invoices.id`, V-3.1).
    DossierInvoiceId
);

uuid_id!(
    /// One payment recorded against a due of an offer (`due_payments.id`).
    PaymentId
);

uuid_id!(
    /// An invitation held for an address that has an account in another organisation
    /// (`held_invitations.id`).
    HeldInvitationId
);

uuid_id!(
    /// A one-time code sent to confirm an online acceptance of the offer
    /// (`acceptance_codes.id`).
    AcceptanceCodeId
);

/// One due of an offer version (`offer_dues.id`): who pays whom (see `services::offers`).
/// A UUID like every id, except for the dues moved over from the first offers' payees
/// (migration `20261214000500_offer_dues`), which are named after their offer and payee:
/// `<offer id>-<organisation id>`. Both are paid the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DueId {
    /// Written by the product since the dues exist.
    Generated(Uuid),
    /// Moved over by the migration: the offer and the payee it was written for.
    MovedOver(OfferId, OrganisationId),
}

impl DueId {
    /// A new id, for a due about to be written.
    pub fn generate() -> Self {
        Self::Generated(Uuid::now_v7())
    }
}

impl FromStr for DueId {
    type Err = MalformedId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() == HYPHENATED_LEN {
            return hyphenated(text).map(Self::Generated);
        }
        // `<offer id>-<organisation id>`: two stored ids joined by one hyphen.
        match (
            text.get(..HYPHENATED_LEN),
            text.get(HYPHENATED_LEN..=HYPHENATED_LEN),
            text.get(HYPHENATED_LEN + 1..),
        ) {
            (Some(offer), Some("-"), Some(organisation)) => {
                Ok(Self::MovedOver(offer.parse()?, organisation.parse()?))
            }
            _ => Err(MalformedId),
        }
    }
}

impl fmt::Display for DueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Generated(id) => fmt::Display::fmt(&id.hyphenated(), f),
            Self::MovedOver(offer, organisation) => write!(f, "{offer}-{organisation}"),
        }
    }
}

serde_as_text!(DueId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_as_stored_and_read_back() {
        let stored = "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b";
        let id: RequestId = stored.parse().unwrap();
        assert_eq!(id.to_string(), stored);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{stored}\""));
        assert_eq!(
            serde_json::from_str::<RequestId>(&format!("\"{stored}\"")).unwrap(),
            id
        );
    }

    #[test]
    fn a_due_reads_in_both_of_its_stored_writings() {
        let offer = "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b";
        let organisation = "00000000-0000-4000-8000-000000000001";
        let generated: DueId = offer.parse().unwrap();
        assert_eq!(generated.to_string(), offer);
        let moved = format!("{offer}-{organisation}");
        let due: DueId = moved.parse().unwrap();
        assert_eq!(
            due,
            DueId::MovedOver(offer.parse().unwrap(), organisation.parse().unwrap())
        );
        assert_eq!(due.to_string(), moved);
        assert_eq!(serde_json::to_string(&due).unwrap(), format!("\"{moved}\""));
        for text in [
            "",
            "ORES",
            &format!("{offer}-"),
            &format!("{offer}x{organisation}"),
            &format!("{offer}-{organisation}-1"),
            &format!("{offer}-{}", &organisation[..35]),
            "0193a5b27c1d7e4f8a9b0c1d2e3f4a5b",
            "{0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b}",
        ] {
            assert_eq!(text.parse::<DueId>(), Err(MalformedId), "{text:?}");
        }
    }

    #[test]
    fn text_that_is_no_id_is_refused() {
        for text in [
            "",
            "CMH-2026-000001",
            "0193a5b2",
            "../etc/passwd",
            "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5bx",
            // The same UUID in the other writings `uuid` reads: one id, one address.
            "0193a5b27c1d7e4f8a9b0c1d2e3f4a5b",
            "{0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b}",
            "urn:uuid:0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b",
        ] {
            assert_eq!(text.parse::<RequestId>(), Err(MalformedId), "{text:?}");
        }
    }
}
