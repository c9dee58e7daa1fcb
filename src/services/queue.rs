//! The queue page: one page of a tenant's requests with the filters applied, how many there
//! are in all, how many per state, and what each line flags — read with a fixed number of
//! queries whatever the size of the queue (the page's lines, the total, the counts per state,
//! the communes of the filter, and the flags of the page's lines in one batch).

use std::collections::HashMap;

use crate::domain::{RequestId, UserId};
use chrono::{DateTime, Utc};

use crate::{
    db::{self, DbError, Scope, requests, summaries},
    domain::{
        RequestState,
        tenancy::{QueueFilter, SessionUser, StateFilter},
    },
    state::AppState,
};

pub use crate::domain::tenancy::{MAX_PER_PAGE, PER_PAGE, Paging, QueueOrder};

/// One request of the queue, typed, with its flags.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub id: RequestId,
    pub reference: String,
    pub state: RequestState,
    pub applicant_name: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: String,
    pub commune_nis: String,
    pub commune_name: String,
    pub parcel_ref: Option<String>,
    pub map_point: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub assigned_to: Option<UserId>,
    /// The officer in charge (coordinator only; empty when not an active case officer).
    pub officer: Option<String>,
    /// An operator's answer is overdue (coordinator only).
    pub late: bool,
    /// The sent offer lapses within the reminder days (coordinator only).
    pub lapses_soon: bool,
    /// The road-works permit needs the case officer: its status (coordinator only).
    pub permit_flag: Option<String>,
    /// A part the caller sees was left unpriced: no tariff in force on its date (V-5).
    pub no_tariff: bool,
}

impl QueueRow {
    /// The site in one line: street and number, postcode and commune, parcel, map point.
    pub fn site_line(&self) -> String {
        crate::domain::geo::site_line(
            self.street.as_deref(),
            self.house_number.as_deref(),
            &self.postcode,
            &self.commune_name,
            self.parcel_ref.as_deref(),
            self.map_point.as_deref(),
        )
    }

    /// The filing timestamp as stored and served by the API (RFC 3339 UTC, microseconds).
    pub fn submitted_text(&self) -> String {
        db::ts(self.submitted_at)
    }
}

/// One page of the queue as the signed-in user sees it.
#[derive(Debug, Clone)]
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    /// How many requests the filters keep, on every page.
    pub total: i64,
    /// Per state, how many requests the tenant has (unfiltered: the filter's choices).
    pub counts: Vec<(RequestState, i64)>,
    /// The communes the tenant has requests in: (NIS code, name).
    pub communes: Vec<(String, String)>,
    pub order: QueueOrder,
    pub paging: Paging,
    /// The signed-in user coordinates: lines can be taken and carry the officer's flags.
    pub coordinator: bool,
}

impl QueuePage {
    pub fn pages(&self) -> u32 {
        let per_page = i64::from(self.paging.per_page);
        u32::try_from((self.total + per_page - 1) / per_page)
            .unwrap_or(u32::MAX)
            .max(1)
    }

    pub fn has_previous(&self) -> bool {
        self.paging.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.paging.page < self.pages()
    }
}

fn corrupt(what: &str, text: &str) -> DbError {
    DbError::Corrupt(format!("{what} {text:?}"))
}

/// How many requests of the tenant's queue `filter` keeps: from the counts per state kept
/// by the writes (`counts`) when it filters on state only, else counted.
async fn total(
    state: &AppState,
    scope: &Scope,
    filter: &QueueFilter,
    counts: &[(RequestState, i64)],
) -> Result<i64, DbError> {
    let by_state_only = filter.commune_nis.is_none()
        && filter.submitted_from.is_none()
        && filter.submitted_to.is_none()
        && filter.assigned.is_none()
        && !filter.no_tariff;
    if !by_state_only {
        return requests::queue_total(&state.db, scope, filter).await;
    }
    Ok(counts
        .iter()
        .filter(|(code, _)| match filter.state {
            StateFilter::Any => true,
            StateFilter::Open => !StateFilter::FINISHED.contains(code),
            StateFilter::Only(only) => *code == only,
        })
        .map(|(_, count)| count)
        .sum())
}

/// The page `paging` of the user's queue with `filter`, in `order`.
pub async fn page(
    state: &AppState,
    user: &SessionUser,
    filter: &QueueFilter,
    order: QueueOrder,
    paging: Paging,
) -> Result<QueuePage, DbError> {
    let scope = user.scope();
    let coordinator = user.is_coordinator();
    let lines = requests::queue_page(&state.db, &scope, filter, order, paging).await?;
    let summaries::QueueSummary { counts, communes } =
        summaries::queue_summary(&state.db, &scope).await?;
    let counts = counts
        .into_iter()
        .map(|(code, count)| {
            code.parse::<RequestState>()
                .map(|state| (state, count))
                .map_err(|_| corrupt("request state", &code))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let total = total(state, &scope, filter, &counts).await?;
    let ids: Vec<RequestId> = lines.iter().map(|line| line.id).collect();
    let own = scope.organisation_id();
    let coordinated: Vec<RequestId> = lines
        .iter()
        .filter(|line| line.coordinator_id == own)
        .map(|line| line.id)
        .collect();
    let horizon =
        state.clock.today() + chrono::Days::new(crate::services::offers::REMINDER_DAYS_BEFORE);
    let mut flags: HashMap<RequestId, Vec<(String, Option<String>)>> = HashMap::new();
    for (id, flag, detail) in requests::queue_flags(
        &state.db,
        &scope,
        &ids,
        &coordinated,
        coordinator,
        state.clock.now(),
        horizon,
    )
    .await?
    {
        flags.entry(id).or_default().push((flag, detail));
    }
    let rows = lines
        .into_iter()
        .map(|line| {
            let own = flags.remove(&line.id).unwrap_or_default();
            let has = |name: &str| own.iter().any(|(flag, _)| flag == name);
            QueueRow {
                state: line.state,
                submitted_at: line.submitted_at,
                assigned_to: line.assigned_to,
                officer: line.assigned_name.filter(|_| coordinator),
                late: has("late"),
                lapses_soon: has("lapses"),
                no_tariff: has("no_tariff"),
                permit_flag: own
                    .iter()
                    .find(|(flag, _)| flag == "permit")
                    .and_then(|(_, status)| status.clone()),
                id: line.id,
                reference: line.reference,
                applicant_name: line.applicant_name,
                street: line.street,
                house_number: line.house_number,
                postcode: line.postcode,
                commune_nis: line.commune_nis,
                commune_name: line.commune_name,
                parcel_ref: line.parcel_ref,
                map_point: line.map_point,
            }
        })
        .collect();
    Ok(QueuePage {
        rows,
        total,
        counts,
        communes,
        order,
        paging,
        coordinator,
    })
}
