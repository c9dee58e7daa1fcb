//! Who acts for which organisation: the tenant scope every tenant read takes, the signed-in
//! staff member, and the filters of a tenant's queue.

use chrono::NaiveDate;
use uuid::Uuid;

/// The tenant a signed-in user acts for. Every tenant-scoped repository function takes one,
/// and only an authenticated session can produce it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    organisation_id: Uuid,
}

impl Scope {
    pub(crate) fn of_organisation(organisation_id: Uuid) -> Self {
        Self { organisation_id }
    }

    pub fn organisation_id(&self) -> Uuid {
        self.organisation_id
    }
}

/// The signed-in user behind a session, with the organisation they act for.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub language: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: String,
}

impl SessionUser {
    pub fn scope(&self) -> Scope {
        Scope::of_organisation(self.organisation_id)
    }

    /// Staff of the coordinator (ORES, the single point of contact, C-2).
    pub fn is_coordinator(&self) -> bool {
        self.organisation_kind == "coordinator"
    }
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: Option<String>,
    pub commune_nis: Option<String>,
    pub submitted_from: Option<NaiveDate>,
    pub submitted_to: Option<NaiveDate>,
    pub assigned: Option<Assigned>,
    /// Only requests with a part left unpriced for lack of a tariff in force (V-5).
    pub no_tariff: bool,
}

/// Whose requests the queue shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assigned {
    To(Uuid),
    Nobody,
}
