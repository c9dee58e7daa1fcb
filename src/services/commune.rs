//! The commune's portal as read models (rule C-6): who the signed-in municipality is, its
//! dashboard, one of its permits, one of its works sites; the permit block of the case
//! officer's request page; the communes the coordinator's figures can be asked for. Each
//! reads with a fixed number of queries; the pages and the JSON API call the same ones.

use chrono::NaiveDate;

use crate::domain::tenancy::OrganisationKind;
use crate::domain::{PermitId, RequestId};
use crate::{
    db::{DbError, organisations, permits, requests},
    domain::{nuisance::Report, permit::SiteDetails, tenancy::SessionUser},
    services::{
        kept::{self, Lifetime, Revisions},
        permits::{self as permit_service, JointDay},
    },
    state::AppState,
};

/// The stored rows these read models hand over, under the names the pages use.
pub use crate::db::{
    permits::{ActionRow, PermitListRow, PermitRow, PermitWorkRow},
    requests::RequestRow,
};

/// The signed-in municipality's commune: NIS code and name.
#[derive(Debug, Clone)]
pub struct Commune {
    pub nis: String,
    pub name: String,
}

/// The commune the user's municipality stands for; `None` for anybody else, or a
/// municipality without a commune (these pages hold a commune's data: 404). One query.
pub async fn own_commune(state: &AppState, user: &SessionUser) -> Result<Option<Commune>, DbError> {
    if user.organisation_kind != OrganisationKind::Municipality {
        return Ok(None);
    }
    let own = organisations::own(&state.db, &user.scope()).await?;
    Ok(own.commune_nis.map(|nis| {
        let name = state
            .directory
            .commune_by_nis(&nis)
            .map_or_else(|| own.name.clone(), |c| c.name.clone());
        Commune { nis, name }
    }))
}

/// How many decided permits the dashboard lists, latest first.
pub const DASHBOARD_DECIDED: i64 = 20;

/// The commune's dashboard: the permits to decide (nearest deadline first), the latest
/// decided, and the nuisance avoided this year up to `today`. Three queries.
#[derive(Debug, Clone)]
pub struct CommuneDashboard {
    pub to_decide: Vec<PermitListRow>,
    pub decided: Vec<PermitListRow>,
    pub figures: Report,
}

/// The dashboard: kept while the municipality's revision holds (its permits, its figures).
pub async fn dashboard(
    state: &AppState,
    user: &SessionUser,
    commune: &Commune,
    today: NaiveDate,
) -> Result<CommuneDashboard, DbError> {
    let revisions = organisation_revisions(state, user).await?;
    let dashboard = kept::view(
        state,
        &format!("{}:{}", user.organisation_id, commune.nis),
        revisions,
        Lifetime::Day,
        read_dashboard(state, user, commune, today),
    )
    .await?;
    Ok(CommuneDashboard::clone(&dashboard))
}

/// The revision of what the organisation's large pages show (`db::revisions`).
async fn organisation_revisions(
    state: &AppState,
    user: &SessionUser,
) -> Result<Revisions, DbError> {
    Ok(Revisions::of_organisation(
        crate::db::revisions::of_organisation(&state.db, &user.scope()).await?,
    ))
}

async fn read_dashboard(
    state: &AppState,
    user: &SessionUser,
    commune: &Commune,
    today: NaiveDate,
) -> Result<CommuneDashboard, DbError> {
    let PermitList { to_decide, decided } = permit_list(state, user, DASHBOARD_DECIDED).await?;
    let from = NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today);
    let figures =
        permit_service::figures(&state.db, &user.scope(), Some(&commune.nis), from, today).await?;
    Ok(CommuneDashboard {
        to_decide,
        decided,
        figures,
    })
}

/// A municipality's permits: to decide, most urgent first, and the latest `decided_limit`
/// decided. Two queries.
#[derive(Debug, Clone)]
pub struct PermitList {
    pub to_decide: Vec<PermitListRow>,
    pub decided: Vec<PermitListRow>,
}

pub async fn permit_list(
    state: &AppState,
    user: &SessionUser,
    decided_limit: i64,
) -> Result<PermitList, DbError> {
    let scope = user.scope();
    Ok(PermitList {
        to_decide: permits::to_decide(&state.db, &scope).await?,
        decided: permits::decided(&state.db, &scope, decided_limit).await?,
    })
}

/// A permit with what its pages show: the operators' works and its history.
#[derive(Debug, Clone)]
pub struct PermitRecord {
    pub permit: PermitRow,
    pub works: Vec<PermitWorkRow>,
    pub history: Vec<ActionRow>,
}

async fn record_of(state: &AppState, permit: PermitRow) -> Result<PermitRecord, DbError> {
    let works = permits::works_of(&state.db, permit.id).await?;
    let history = permits::actions_of(&state.db, permit.id).await?;
    Ok(PermitRecord {
        permit,
        works,
        history,
    })
}

/// One permit as the commune's permit page shows it, with its request's reference and site
/// and the site's road works. Five queries.
#[derive(Debug, Clone)]
pub struct CommunePermit {
    pub record: PermitRecord,
    pub request_id: RequestId,
    pub reference: String,
    pub site: String,
    pub details: SiteDetails,
}

/// `NotFound` unless the permit is the municipality's own.
pub async fn permit(
    state: &AppState,
    user: &SessionUser,
    id: PermitId,
) -> Result<CommunePermit, DbError> {
    let scope = user.scope();
    let permit = permits::get_for_municipality(&state.db, &scope, id).await?;
    let request = requests::get_for(&state.db, &scope, permit.request_id).await?;
    let record = record_of(state, permit).await?;
    let details = permit_service::site_details(&state.db, &request.access).await?;
    Ok(CommunePermit {
        record,
        site: request.site_line(),
        request_id: request.id,
        reference: request.reference,
        details,
    })
}

/// Whether the permit is the municipality's own: `NotFound` otherwise. One query.
pub async fn check_own_permit(
    state: &AppState,
    user: &SessionUser,
    id: PermitId,
) -> Result<(), DbError> {
    permits::get_for_municipality(&state.db, &user.scope(), id).await?;
    Ok(())
}

/// One works site of the commune: its request and joint days, and the site's road works.
/// Four queries.
#[derive(Debug, Clone)]
pub struct WorksSite {
    pub reference: String,
    pub site: String,
    pub days: Vec<JointDay>,
    pub details: SiteDetails,
}

/// `NotFound` unless the request has works in the commune.
pub async fn works_site(
    state: &AppState,
    user: &SessionUser,
    commune: &Commune,
    id: RequestId,
) -> Result<WorksSite, DbError> {
    let scope = user.scope();
    let request_id = permits::works_request_for(&state.db, &scope, id).await?;
    let request = requests::get_for(&state.db, &scope, request_id).await?;
    if request.commune_nis != commune.nis {
        return Err(DbError::NotFound);
    }
    let days = permit_service::joint_days(
        &state.db,
        &scope,
        Some(&commune.nis),
        NaiveDate::MIN,
        NaiveDate::MAX,
    )
    .await?
    .into_iter()
    .filter(|d| d.request_id == request.id)
    .collect();
    let details = permit_service::site_details(&state.db, &request.access).await?;
    Ok(WorksSite {
        site: request.site_line(),
        reference: request.reference,
        days,
        details,
    })
}

/// The joint days in `[from, to]` in the user's commune `nis` (or all of the tenant's).
pub async fn joint_days(
    state: &AppState,
    user: &SessionUser,
    nis: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<JointDay>, DbError> {
    permit_service::joint_days(&state.db, &user.scope(), nis, from, to).await
}

/// The nuisance figures of `[from, to]` for one commune or all of the tenant's: kept while
/// the organisation's revision holds.
pub async fn figures(
    state: &AppState,
    user: &SessionUser,
    nis: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Report, DbError> {
    let revisions = organisation_revisions(state, user).await?;
    let scope = user.scope();
    let report = kept::view(
        state,
        &format!(
            "{}:{}:{from}:{to}",
            user.organisation_id,
            nis.unwrap_or("all")
        ),
        revisions,
        Lifetime::Day,
        permit_service::figures(&state.db, &scope, nis, from, to),
    )
    .await?;
    Ok(Report::clone(&report))
}

/// The communes of the coordinator's requests, for its figures: (NIS code, name). One query.
pub async fn coordinated_communes(
    state: &AppState,
    user: &SessionUser,
) -> Result<Vec<(String, String)>, DbError> {
    crate::db::summaries::communes(&state.db, &user.scope()).await
}

/// The permit block of the request page, as stored: the current permit with its works and
/// history, the site's road works, and what blocks the confirmation of the day (a
/// translation key). `None` when the reader is not the coordinator and no permit exists.
#[derive(Debug, Clone)]
pub struct PermitPanelData {
    pub coordinator: bool,
    pub current: Option<PermitRecord>,
    pub details: SiteDetails,
    pub blocker: Option<String>,
}

/// The permit panel of `request` for `user`'s organisation: kept with the request's
/// revisions, like its case file.
pub async fn permit_panel(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
) -> Result<Option<PermitPanelData>, DbError> {
    let panel = kept::view(
        state,
        &format!("{}:{}", request.id, user.organisation_id),
        Revisions::of_request(request),
        Lifetime::Day,
        read_permit_panel(state, user, request),
    )
    .await?;
    Ok(Option::clone(&panel))
}

async fn read_permit_panel(
    state: &AppState,
    user: &SessionUser,
    request: &RequestRow,
) -> Result<Option<PermitPanelData>, DbError> {
    let coordinator = user.organisation_id == request.coordinator_id;
    let current = permits::current_for_request(&state.db, &request.access).await?;
    if !coordinator && current.is_none() {
        return Ok(None);
    }
    let details = permit_service::site_details(&state.db, &request.access).await?;
    let blocker = current.as_ref().and_then(permit_service::blocker_of);
    let current = match current {
        Some(permit) => Some(record_of(state, permit).await?),
        None => None,
    };
    Ok(Some(PermitPanelData {
        coordinator,
        current,
        details,
        blocker,
    }))
}
