//! Who acts for which organisation: the tenant scope every tenant read takes, the signed-in
//! staff member, and the filters of a tenant's queue.

use chrono::NaiveDate;

use super::{OrganisationId, RequestState, UserId};

/// The tenant a signed-in user acts for. Every tenant-scoped repository function takes one,
/// and only an authenticated session can produce it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    organisation_id: OrganisationId,
}

impl Scope {
    pub(crate) fn of_organisation(organisation_id: OrganisationId) -> Self {
        Self { organisation_id }
    }

    pub fn organisation_id(&self) -> OrganisationId {
        self.organisation_id
    }
}

/// The signed-in user behind a session, with the organisation they act for.
#[derive(Debug, Clone, Hash)]
pub struct SessionUser {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub language: String,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub organisation_kind: OrganisationKind,
    /// The organisation's administrator: manages its API keys (issue 21). Always set for an
    /// operator's `operator_admin`; never for a key.
    pub administrator: bool,
    /// Set when an organisation's API key acts rather than a person: the key is named in every
    /// event it writes, and only a read-write key writes (issue 21).
    pub api_key: Option<ApiKeyActor>,
}

super::stored_code! {
    /// What an organisation is to the platform; stored as its code.
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OrganisationKind {
        /// ORES, the single point of contact of every request (C-2).
        Coordinator = "coordinator",
        /// A network operator or a telecom partner: assesses, quotes and works.
        Operator = "operator",
        /// A commune on the portal: decides the joint road-works permits (C-6).
        Municipality = "municipality",
        /// The platform's own administration.
        Platform = "platform",
    }
}

super::stored_code! {
    /// What a user may do within their organisation; stored as its code.
    pub enum Role {
        /// The coordinator's case officer.
        CaseOfficer = "case_officer",
        OperatorStaff = "operator_staff",
        /// An operator's administrator: its accounts, coverage and tariff books.
        OperatorAdmin = "operator_admin",
        /// A commune's staff.
        Municipality = "municipality",
        PlatformAdmin = "platform_admin",
        /// An API key acting for its organisation: no administrator's or case officer's powers,
        /// only what the organisation's staff do. Never a stored user's role.
        ApiKey = "api_key",
    }
}

/// An API key acting for its organisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiKeyActor {
    pub id: super::ApiKeyId,
    pub name: String,
    /// A read-write key; a read key only reads.
    pub writes: bool,
}

impl SessionUser {
    pub fn scope(&self) -> Scope {
        Scope::of_organisation(self.organisation_id)
    }

    /// Staff of the coordinator (ORES, the single point of contact, C-2).
    pub fn is_coordinator(&self) -> bool {
        self.organisation_kind == OrganisationKind::Coordinator
    }

    /// An administrator of its organisation, signed in as a person (a key administers nothing).
    pub fn administers(&self) -> bool {
        self.api_key.is_none() && (self.administrator || self.role == Role::OperatorAdmin)
    }
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: StateFilter,
    pub commune_nis: Option<String>,
    pub submitted_from: Option<NaiveDate>,
    pub submitted_to: Option<NaiveDate>,
    pub assigned: Option<Assigned>,
    /// Only requests with a part left unpriced for lack of a tariff in force (V-5).
    pub no_tariff: bool,
}

/// Which states the queue shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StateFilter {
    /// Every request, finished or not.
    #[default]
    Any,
    /// The work to do: every request not closed, withdrawn or refused (a request whose works
    /// are done may still await a payment after the works, V-8.2.1).
    Open,
    Only(RequestState),
}

impl StateFilter {
    /// States no longer any staff's work. The partial index `requests_open_newest` (migration
    /// 20261220000300) is written with these: change both together.
    pub const FINISHED: [RequestState; 3] = [
        RequestState::Closed,
        RequestState::Withdrawn,
        RequestState::Refused,
    ];
}

/// Whose requests the queue shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assigned {
    To(UserId),
    Nobody,
}

/// How a queue page is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueOrder {
    /// The latest filed first.
    #[default]
    Newest,
    /// Requests still in progress first, the longest waiting (earliest filed) first; the
    /// finished ones (done, closed, withdrawn, refused, lapsed) after them, also the earliest
    /// filed first.
    Urgent,
}

impl QueueOrder {
    /// `newest` (default) or `urgent`; anything else is the default.
    pub fn parse(text: &str) -> Self {
        match text.trim() {
            "urgent" => Self::Urgent,
            _ => Self::Newest,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Urgent => "urgent",
        }
    }
}

/// Lines per queue page unless asked otherwise.
pub const PER_PAGE: u32 = 50;
/// The most lines one queue page may hold.
pub const MAX_PER_PAGE: u32 = 200;

/// Which page of a queue: 1-based number and size (clamped to `1..=MAX_PER_PAGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: PER_PAGE,
        }
    }
}

impl Paging {
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Self {
        Self {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(PER_PAGE).clamp(1, MAX_PER_PAGE),
        }
    }

    /// How many lines come before the page.
    pub fn offset(self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_is_clamped_and_offset() {
        assert_eq!(Paging::new(None, None), Paging::default());
        assert_eq!(Paging::new(Some(0), Some(0)).offset(), 0);
        assert_eq!(Paging::new(Some(3), Some(1000)).per_page, MAX_PER_PAGE);
        assert_eq!(Paging::new(Some(3), Some(20)).offset(), 40);
        assert_eq!(QueueOrder::parse("urgent"), QueueOrder::Urgent);
        assert_eq!(QueueOrder::parse("oldest"), QueueOrder::Newest);
    }

    #[test]
    fn stored_roles_and_kinds_read_back_and_unknown_codes_are_refused() {
        // The codes the database and the reference data hold (migrations, organisations.toml).
        // A look-alike is not a role: no authorisation decided on a guess.
        crate::domain::assert_stored_codes(
            &[
                ("case_officer", Role::CaseOfficer),
                ("operator_staff", Role::OperatorStaff),
                ("operator_admin", Role::OperatorAdmin),
                ("municipality", Role::Municipality),
                ("platform_admin", Role::PlatformAdmin),
                ("api_key", Role::ApiKey),
            ],
            &["Operator_Admin", "operator_admin ", "admin", ""],
        );
        crate::domain::assert_stored_codes(
            &[
                ("coordinator", OrganisationKind::Coordinator),
                ("operator", OrganisationKind::Operator),
                ("municipality", OrganisationKind::Municipality),
                ("platform", OrganisationKind::Platform),
            ],
            &["operators", "Coordinator"],
        );
    }
}
