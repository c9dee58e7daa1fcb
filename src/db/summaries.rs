//! The read models of the large pages (migration `20261218000500_summaries`), kept in the
//! transaction of every write that changes them:
//!
//! - `queue_counts` and `queue_communes`: per organisation, its requests per state and their
//!   communes — a request counts for every organisation party of it, and only for those (the
//!   queue's tenant rule). Written when a party is added ([`parties_added`]) and when a request
//!   changes state ([`state_moved`]).
//! - `nuisance_ledger`: what each done joint day of a request adds to the nuisance figures
//!   (C-6), and `nuisance_days`: the ledger summed per organisation party, commune, street and
//!   day. [`refresh_request`] recomputes one request's ledger from its reservations, crews and
//!   permit and moves the sums by the difference; it runs after every write to them.
//!
//! The sums move by atomic increments, so concurrent writers of different requests never
//! lose each other's changes; writers of one request take turns on its row.

use super::{CrewId, OrganisationId, RequestId, Stored};
use chrono::NaiveDate;
use std::collections::BTreeMap;

use rust_decimal::{Decimal, prelude::ToPrimitive};

use super::{Db, DbError, DbResult, Scope, Tx, sql::Sql};
use crate::domain::{nuisance::DaySummary, permit::shared_trench_metres};

/// The backfill of the migration that created the read models, run again by [`rebuild`].
const MIGRATION: &str = include_str!("../../migrations/20261218000500_summaries.sql");

/// The statements of the migration's backfill, in order.
fn backfill_statements() -> Vec<&'static str> {
    let (_, backfill) = MIGRATION
        .split_once("-- Backfill")
        .unwrap_or((MIGRATION, ""));
    // After the marker's own line: statements end with `;` (none inside a literal).
    let backfill = backfill.split_once('\n').map_or("", |(_, rest)| rest);
    backfill
        .split(';')
        .map(str::trim)
        .filter(|statement| !statement.is_empty())
        .collect()
}

/// Recomputes every read model from the stored requests, parties, reservations, crews and
/// permits: the migration's backfill, after emptying them. For data written by other means
/// than the product (a bulk load) and for the consistency check. The caller holds them
/// still first ([`hold_still`]).
pub async fn rebuild(tx: &mut Tx) -> DbResult<()> {
    for table in [
        "queue_counts",
        "queue_communes",
        "nuisance_days",
        "nuisance_ledger",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&mut **tx)
            .await?;
    }
    for statement in backfill_statements() {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Keeps the read models still until `tx` ends: on PostgreSQL the writes that keep them (a
/// filing, a state moved by a worker) wait, so that what they kept, the stored requests and
/// a recount are of one moment; without it a write committed between two statements of a
/// check shows as a difference, or a rebuild misses it. SQLite's writer is held already.
pub async fn hold_still(tx: &mut Tx) -> DbResult<()> {
    if tx.engine == super::Engine::Postgres {
        sqlx::query(
            "LOCK TABLE queue_counts, queue_communes, nuisance_days, nuisance_ledger \
             IN EXCLUSIVE MODE",
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Every row of the read models, as text, in a fixed order (rows whose counts are all zero
/// left out: they say nothing). For comparing what the writes kept with a rebuild.
pub async fn snapshot(tx: &mut Tx) -> DbResult<Vec<String>> {
    let mut rows = Vec::new();
    let counts: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT organisation_id, state, requests FROM queue_counts WHERE requests <> 0 \
         ORDER BY organisation_id, state",
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.extend(counts.into_iter().map(|r| format!("queue_counts {r:?}")));
    let communes: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT organisation_id, commune_nis, commune_name, requests FROM queue_communes \
         WHERE requests <> 0 ORDER BY organisation_id, commune_nis, commune_name",
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.extend(
        communes
            .into_iter()
            .map(|r| format!("queue_communes {r:?}")),
    );
    let ledger: Vec<LedgerRow> = sqlx::query_as(
        "SELECT day, commune_nis, street, operators, civil_works, trench_scale, trench_nano, \
            request_id FROM nuisance_ledger ORDER BY request_id, day",
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.extend(ledger.into_iter().map(|r| format!("nuisance_ledger {r:?}")));
    let days: Vec<(String, DaySummaryRow)> = sqlx::query_as::<_, OrganisationDay>(
        "SELECT organisation_id, commune_nis, street, day, trench_scale, works_days, \
            crew_visits_avoided, openings_made, openings_separate, trench_nano \
         FROM nuisance_days WHERE works_days <> 0 \
         ORDER BY organisation_id, commune_nis, day, street, trench_scale",
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|r| (r.organisation_id, r.row))
    .collect();
    rows.extend(days.into_iter().map(|r| format!("nuisance_days {r:?}")));
    Ok(rows)
}

/// Parties were added to a request (`organisations`, newly its parties): the request now
/// counts for each, in its state and commune, with its done joint days. Three statements
/// whatever the number of parties, taking the rows in a fixed order (organisation), as every
/// writer of the counts does.
pub(super) async fn parties_added(
    tx: &mut Tx,
    request_id: RequestId,
    organisations: &[OrganisationId],
) -> DbResult<()> {
    if organisations.is_empty() {
        return Ok(());
    }
    parties_of_new_request(tx, request_id, organisations).await?;
    let mut days = Sql::new(
        "INSERT INTO nuisance_days (organisation_id, commune_nis, day, street, trench_scale, \
            works_days, crew_visits_avoided, openings_made, openings_separate, trench_nano) \
         SELECT p.organisation_id, l.commune_nis, l.day, l.street, l.trench_scale, 1, \
            l.operators - 1, l.civil_works, l.civil_works * l.operators, l.trench_nano \
         FROM request_parties p JOIN nuisance_ledger l ON l.request_id = p.request_id \
         WHERE p.request_id = ",
    );
    of_parties(&mut days, request_id, organisations);
    days.push(
        " ON CONFLICT (organisation_id, commune_nis, day, street, trench_scale) DO UPDATE SET \
            works_days = nuisance_days.works_days + excluded.works_days, \
            crew_visits_avoided = nuisance_days.crew_visits_avoided + excluded.crew_visits_avoided, \
            openings_made = nuisance_days.openings_made + excluded.openings_made, \
            openings_separate = nuisance_days.openings_separate + excluded.openings_separate, \
            trench_nano = nuisance_days.trench_nano + excluded.trench_nano",
    );
    days.query()?.execute(&mut **tx).await?;
    Ok(())
}

/// The parties of a request just filed: it counts for each in its state and commune. A new
/// request has no joint day yet, so nothing for the nuisance figures: two statements.
pub(super) async fn parties_of_new_request(
    tx: &mut Tx,
    request_id: RequestId,
    organisations: &[OrganisationId],
) -> DbResult<()> {
    if organisations.is_empty() {
        return Ok(());
    }
    let mut counts = Sql::new(
        "INSERT INTO queue_counts (organisation_id, state, requests) \
         SELECT p.organisation_id, r.state, 1 FROM request_parties p \
         JOIN requests r ON r.id = p.request_id WHERE p.request_id = ",
    );
    of_parties(&mut counts, request_id, organisations);
    counts.push(
        " ON CONFLICT (organisation_id, state) \
         DO UPDATE SET requests = queue_counts.requests + 1",
    );
    counts.query()?.execute(&mut **tx).await?;
    let mut communes = Sql::new(
        "INSERT INTO queue_communes (organisation_id, commune_nis, commune_name, requests) \
         SELECT p.organisation_id, r.commune_nis, r.commune_name, 1 FROM request_parties p \
         JOIN requests r ON r.id = p.request_id WHERE p.request_id = ",
    );
    of_parties(&mut communes, request_id, organisations);
    communes.push(
        " ON CONFLICT (organisation_id, commune_nis, commune_name) \
         DO UPDATE SET requests = queue_communes.requests + 1",
    );
    communes.query()?.execute(&mut **tx).await?;
    Ok(())
}

/// Requests just filed, all their parties new: each request counts for each of its parties in
/// its state and commune. Two statements whatever the number of requests, each row counted
/// once with all the requests it gains, in the fixed order of every writer.
pub(super) async fn new_requests(tx: &mut Tx, requests: &[RequestId]) -> DbResult<()> {
    if requests.is_empty() {
        return Ok(());
    }
    let mut counts = Sql::new(
        "INSERT INTO queue_counts (organisation_id, state, requests) \
         SELECT p.organisation_id, r.state, COUNT(*) FROM request_parties p \
         JOIN requests r ON r.id = p.request_id WHERE ",
    );
    of_requests(&mut counts, requests)
        .push(
            " GROUP BY p.organisation_id, r.state ORDER BY p.organisation_id, r.state \
             ON CONFLICT (organisation_id, state) \
             DO UPDATE SET requests = queue_counts.requests + excluded.requests",
        )
        .for_engine(tx.engine);
    counts.query()?.execute(&mut **tx).await?;
    let mut communes = Sql::new(
        "INSERT INTO queue_communes (organisation_id, commune_nis, commune_name, requests) \
         SELECT p.organisation_id, r.commune_nis, r.commune_name, COUNT(*) \
         FROM request_parties p JOIN requests r ON r.id = p.request_id WHERE ",
    );
    of_requests(&mut communes, requests)
        .push(
            " GROUP BY p.organisation_id, r.commune_nis, r.commune_name \
             ORDER BY p.organisation_id, r.commune_nis, r.commune_name \
             ON CONFLICT (organisation_id, commune_nis, commune_name) \
             DO UPDATE SET requests = queue_communes.requests + excluded.requests",
        )
        .for_engine(tx.engine);
    communes.query()?.execute(&mut **tx).await?;
    Ok(())
}

/// `requests` and their parties, each table by its own list of ids: PostgreSQL plans these
/// statements once for any values, and with the list on one side only it reads the whole
/// other table (every request, 7.7 ms with 4,000 of them, more with each filing) instead of
/// its index (0.9 ms).
fn of_requests<'a>(sql: &'a mut Sql, requests: &[RequestId]) -> &'a mut Sql {
    sql.push("r.id IN ")
        .push_list(requests.iter().copied())
        .push(" AND p.request_id IN ")
        .push_list(requests.iter().copied())
}

/// The parties `organisations` of `request_id`, in the fixed order of every writer.
fn of_parties(sql: &mut Sql, request_id: RequestId, organisations: &[OrganisationId]) {
    sql.push_bind(request_id)
        .push(" AND p.organisation_id IN ")
        .push_list(organisations.iter().cloned())
        .push(" ORDER BY p.organisation_id");
}

/// A request moved from state `from` to `to`: one less in `from`, one more in `to`, for each
/// of its parties. One statement taking the rows in a fixed order (organisation, state), so
/// that concurrent moves on PostgreSQL wait for each other instead of deadlocking.
pub(super) async fn state_moved(
    tx: &mut Tx,
    request_id: RequestId,
    from: &str,
    to: &str,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO queue_counts (organisation_id, state, requests) \
         SELECT p.organisation_id, m.state, m.change FROM request_parties p \
         CROSS JOIN (SELECT $2 AS state, -1 AS change UNION ALL SELECT $3, 1) m \
         WHERE p.request_id = $1 ORDER BY p.organisation_id, m.state \
         ON CONFLICT (organisation_id, state) \
         DO UPDATE SET requests = queue_counts.requests + excluded.requests",
    )
    .bind(request_id)
    .bind(from)
    .bind(to)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What one done joint day of a request adds to the figures (a ledger row).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct LedgerRow {
    day: String,
    commune_nis: String,
    street: String,
    operators: i64,
    civil_works: i64,
    trench_scale: i64,
    trench_nano: i64,
    request_id: RequestId,
}

/// One operator's part of a request's joint day, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
struct PartRow {
    day: String,
    commune_nis: String,
    street: Option<String>,
    civil_works: i64,
    done_at: Option<String>,
    trench_metres: Option<String>,
}

/// Billionths of a metre: the unit the trench sums are kept in.
const NANO: i64 = 1_000_000_000;

/// The ledger rows of a request as its reservations, crews and permit say now: its done
/// joint days, by day.
async fn ledger_now(tx: &mut Tx, request_id: RequestId) -> DbResult<BTreeMap<String, LedgerRow>> {
    // The same rows and order as the figures' joint days (permits::works_between).
    let parts: Vec<PartRow> = sqlx::query_as(
        "SELECT v.day, r.commune_nis, r.street, c.civil_works, v.done_at, w.trench_metres \
         FROM reservations v \
         JOIN crews c ON c.id = v.crew_id \
         JOIN requests r ON r.id = v.request_id \
         LEFT JOIN permits pm ON pm.request_id = r.id AND pm.status <> 'cancelled' \
         LEFT JOIN permit_works w ON w.permit_id = pm.id AND w.service = v.service \
         WHERE v.request_id = $1 ORDER BY v.day, v.service",
    )
    .bind(request_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut days: BTreeMap<String, Vec<PartRow>> = BTreeMap::new();
    for part in parts {
        days.entry(part.day.clone()).or_default().push(part);
    }
    let mut ledger = BTreeMap::new();
    for (day, parts) in days {
        if parts.iter().any(|p| p.done_at.is_none()) {
            continue;
        }
        let civil = parts.iter().any(|p| p.civil_works != 0);
        let lengths: Vec<Decimal> = parts
            .iter()
            .map(|p| {
                p.trench_metres
                    .as_deref()
                    .and_then(|m| m.parse().ok())
                    .unwrap_or_default()
            })
            .collect();
        let shared = if civil {
            shared_trench_metres(&lengths)
        } else {
            Decimal::ZERO
        };
        let nano = (shared * Decimal::from(NANO))
            .round()
            .to_i64()
            .ok_or_else(|| DbError::Corrupt(format!("trench metres {shared}")))?;
        let first = &parts[0];
        ledger.insert(
            day.clone(),
            LedgerRow {
                commune_nis: first.commune_nis.clone(),
                street: first.street.clone().unwrap_or_default(),
                operators: i64::try_from(parts.len()).unwrap_or(i64::MAX),
                civil_works: i64::from(civil),
                trench_scale: i64::from(shared.scale()),
                trench_nano: nano,
                request_id,
                day,
            },
        );
    }
    Ok(ledger)
}

/// Adds (`sign` 1) or takes away (`sign` -1) a ledger row from the sums of every party of its
/// request.
async fn apply(tx: &mut Tx, row: &LedgerRow, sign: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO nuisance_days (organisation_id, commune_nis, day, street, trench_scale, \
            works_days, crew_visits_avoided, openings_made, openings_separate, trench_nano) \
         SELECT p.organisation_id, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
         FROM request_parties p WHERE p.request_id = $1 \
         ON CONFLICT (organisation_id, commune_nis, day, street, trench_scale) DO UPDATE SET \
            works_days = nuisance_days.works_days + excluded.works_days, \
            crew_visits_avoided = nuisance_days.crew_visits_avoided + excluded.crew_visits_avoided, \
            openings_made = nuisance_days.openings_made + excluded.openings_made, \
            openings_separate = nuisance_days.openings_separate + excluded.openings_separate, \
            trench_nano = nuisance_days.trench_nano + excluded.trench_nano",
    )
    .bind(row.request_id)
    .bind(&row.commune_nis)
    .bind(&row.day)
    .bind(&row.street)
    .bind(row.trench_scale)
    .bind(sign)
    .bind(sign * (row.operators - 1))
    .bind(sign * row.civil_works)
    .bind(sign * row.civil_works * row.operators)
    .bind(sign * row.trench_nano)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Brings request `request_id`'s done joint days in the figures up to date with its
/// reservations, crews and permit, inside the transaction that changed them.
pub async fn refresh_request(tx: &mut Tx, request_id: RequestId) -> DbResult<()> {
    // Writers of one request take turns (a row lock on PostgreSQL; SQLite's writers already
    // do), so each reads the ledger the one before left.
    sqlx::query("UPDATE requests SET updated_at = updated_at WHERE id = $1")
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    let now = ledger_now(tx, request_id).await?;
    let stored: Vec<LedgerRow> = sqlx::query_as(
        "SELECT day, commune_nis, street, operators, civil_works, trench_scale, trench_nano, \
            request_id FROM nuisance_ledger WHERE request_id = $1",
    )
    .bind(request_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut before: BTreeMap<String, LedgerRow> =
        stored.into_iter().map(|r| (r.day.clone(), r)).collect();
    for (day, row) in &now {
        match before.remove(day) {
            Some(old) if old == *row => continue,
            Some(old) => {
                apply(tx, &old, -1).await?;
                sqlx::query("DELETE FROM nuisance_ledger WHERE request_id = $1 AND day = $2")
                    .bind(request_id)
                    .bind(day)
                    .execute(&mut **tx)
                    .await?;
            }
            None => {}
        }
        apply(tx, row, 1).await?;
        sqlx::query(
            "INSERT INTO nuisance_ledger (request_id, day, commune_nis, street, operators, \
                civil_works, trench_scale, trench_nano) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(request_id)
        .bind(day)
        .bind(&row.commune_nis)
        .bind(&row.street)
        .bind(row.operators)
        .bind(row.civil_works)
        .bind(row.trench_scale)
        .bind(row.trench_nano)
        .execute(&mut **tx)
        .await?;
    }
    for (day, old) in before {
        apply(tx, &old, -1).await?;
        sqlx::query("DELETE FROM nuisance_ledger WHERE request_id = $1 AND day = $2")
            .bind(request_id)
            .bind(&day)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A crew's kind of works changed: every request it worked for counts again.
pub(super) async fn crew_changed(tx: &mut Tx, crew_id: CrewId) -> DbResult<()> {
    let requests: Vec<RequestId> =
        sqlx::query_scalar("SELECT DISTINCT request_id FROM reservations WHERE crew_id = $1")
            .bind(crew_id)
            .fetch_all(&mut **tx)
            .await?;
    for request_id in requests {
        refresh_request(tx, request_id).await?;
    }
    Ok(())
}

/// What the queue shows beside its page: per state, how many requests a tenant is a party of
/// (states with none left out, by state code), and the communes it has requests in (NIS code
/// and name, by name). One statement for both.
#[derive(Debug, Default)]
pub struct QueueSummary {
    pub counts: Vec<(String, i64)>,
    pub communes: Vec<(String, String)>,
}

pub async fn queue_summary(db: &Db, scope: &Scope) -> DbResult<QueueSummary> {
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT CAST(0 AS BIGINT) AS part, state AS code, '' AS name, requests \
         FROM queue_counts WHERE organisation_id = $1 AND requests > 0 \
         UNION ALL \
         SELECT CAST(1 AS BIGINT), commune_nis, commune_name, requests \
         FROM queue_communes WHERE organisation_id = $1 AND requests > 0 \
         ORDER BY part, name, code",
    )
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?;
    let mut summary = QueueSummary::default();
    for (part, code, name, requests) in rows {
        if part == 0 {
            summary.counts.push((code, requests));
        } else {
            summary.communes.push((code, name));
        }
    }
    Ok(summary)
}

/// The communes a tenant has requests in, by name: (NIS code, name).
pub async fn communes(db: &Db, scope: &Scope) -> DbResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT commune_nis, commune_name FROM queue_communes \
         WHERE organisation_id = $1 AND requests > 0 ORDER BY commune_name, commune_nis",
    )
    .bind(scope.organisation_id())
    .fetch_all(&db.pool)
    .await?)
}

/// The nuisance sums of a day, street and commune, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
struct DaySummaryRow {
    commune_nis: String,
    street: String,
    #[sqlx(try_from = "Stored<NaiveDate>")]
    day: NaiveDate,
    trench_scale: i64,
    works_days: i64,
    crew_visits_avoided: i64,
    openings_made: i64,
    openings_separate: i64,
    trench_nano: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct OrganisationDay {
    organisation_id: String,
    #[sqlx(flatten)]
    row: DaySummaryRow,
}

/// The nuisance sums of the done joint days in `[from, to]` of the requests a tenant is party
/// to, in one commune or all, per commune, street and day.
pub async fn nuisance_days(
    db: &Db,
    scope: &Scope,
    commune_nis: Option<&str>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> DbResult<Vec<DaySummary>> {
    let mut query = super::sql::Sql::new(
        "SELECT commune_nis, street, day, trench_scale, works_days, crew_visits_avoided, \
            openings_made, openings_separate, trench_nano FROM nuisance_days \
         WHERE organisation_id = ",
    );
    query.push_bind(scope.organisation_id());
    if let Some(nis) = commune_nis {
        query.push(" AND commune_nis = ").push_bind(nis.to_owned());
    }
    query
        .push(" AND day >= ")
        .push_bind(from.to_string())
        .push(" AND day <= ")
        .push_bind(to.to_string())
        .push(" AND works_days > 0");
    let rows: Vec<DaySummaryRow> = query.query_as()?.fetch_all(&db.pool).await?;
    rows.into_iter()
        .map(|row| {
            let count = |n: i64| u32::try_from(n).map_err(|_| DbError::Corrupt(format!("{row:?}")));
            let scale = u32::try_from(row.trench_scale)
                .ok()
                .filter(|s| *s <= 28)
                .ok_or_else(|| DbError::Corrupt(format!("{row:?}")))?;
            let mut trench = Decimal::from_i128_with_scale(i128::from(row.trench_nano), 9);
            // Written with `scale` decimals: exact at that scale.
            trench.rescale(scale);
            Ok(DaySummary {
                street: (!row.street.is_empty()).then(|| row.street.clone()),
                day: row.day,
                works_days: count(row.works_days)?,
                crew_visits_avoided: count(row.crew_visits_avoided)?,
                openings_made: count(row.openings_made)?,
                openings_separate: count(row.openings_separate)?,
                shared_trench_metres: trench,
                commune_nis: row.commune_nis,
            })
        })
        .collect()
}
