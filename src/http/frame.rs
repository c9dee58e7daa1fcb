//! The parts of every page's layout that depend on the visitor: CSRF token, user, path and
//! the warnings they must act on.

use axum::{extract::Request, http::request::Parts};

use super::csrf::CsrfToken;
use crate::domain::tenancy::SessionUser;
use crate::domain::tenancy::{OrganisationKind, Role};

/// The parts of the page layout that depend on the visitor.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub csrf: String,
    pub user: Option<SessionUser>,
    pub path: String,
    /// What the reader must act on before it runs out, shown above the page (`warned_frame`).
    pub warnings: Vec<Warning>,
}

/// A warning above the page: what runs out, and where the reader acts, if on a page: (path,
/// label).
#[derive(Debug, Clone)]
pub struct Warning {
    pub text: String,
    pub link: Option<(String, String)>,
}

impl Frame {
    /// The organisation's own home, for a page's link back: its address and its label's key.
    pub fn home(&self) -> (&'static str, &'static str) {
        match self.user.as_ref().map(|u| u.organisation_kind) {
            Some(OrganisationKind::Operator) => ("/operator", "operator.title"),
            Some(OrganisationKind::Municipality) => ("/commune", "commune.nav"),
            _ => ("/backoffice", "nav.queue"),
        }
    }

    pub fn new(parts: &Parts, user: Option<SessionUser>) -> Self {
        Frame {
            csrf: super::extract::csrf_token(parts),
            user,
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "/".into()),
            warnings: Vec::new(),
        }
    }

    pub fn anonymous(request: &Request) -> Self {
        Frame {
            csrf: request
                .extensions()
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            user: None,
            path: request.uri().path().to_owned(),
            warnings: Vec::new(),
        }
    }

    pub fn is_operator(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.organisation_kind == OrganisationKind::Operator)
    }

    pub fn is_municipality(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.organisation_kind == OrganisationKind::Municipality)
    }

    pub fn is_coordinator(&self) -> bool {
        self.user.as_ref().is_some_and(SessionUser::is_coordinator)
    }

    /// An administrator of the coordinator or a commune, who manages its API keys (issue 21).
    pub fn administers(&self) -> bool {
        self.user.as_ref().is_some_and(SessionUser::administers)
    }

    pub fn is_admin(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == Role::PlatformAdmin)
    }

    /// Link to the same page in another language.
    pub fn lang_link(&self, code: &str) -> String {
        let next = serde_urlencoded::to_string([("next", self.path.as_str())]).unwrap_or_default();
        format!("/lang/{code}?{next}")
    }
}
