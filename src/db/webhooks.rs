//! Webhook endpoints and their deliveries (issue 21): deliveries are written in the
//! transaction of the change they report and claimed by the webhook worker like the outbox.

use super::{DeliveryId, EndpointId, OrganisationId, RequestId, Stored, UserId};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{Db, DbResult, Scope, Tx, new_id, sql::Sql, ts};
use crate::domain::tenancy::OrganisationKind;
use crate::domain::webhook::{self, Audience};

/// An endpoint as its pages list it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: EndpointId,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub url: String,
    pub active: i64,
    pub created_by_name: String,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub failing_since: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub disabled_at: Option<DateTime<Utc>>,
}

const ENDPOINT_COLUMNS: &str = "e.id, e.organisation_id, o.name AS organisation_name, e.url, \
    e.active, u.display_name AS created_by_name, e.created_at, e.failing_since, e.disabled_at";
const ENDPOINT_FROM: &str = "webhook_endpoints e JOIN organisations o ON o.id = e.organisation_id \
    JOIN users u ON u.id = e.created_by";

pub struct NewEndpoint<'a> {
    pub id: EndpointId,
    pub organisation_id: OrganisationId,
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a [&'a str],
    pub active: bool,
    pub created_by: UserId,
}

pub async fn insert(db: &Db, endpoint: &NewEndpoint<'_>, now: DateTime<Utc>) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, organisation_id, url, secret, active, created_by, \
            created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(endpoint.id.to_string())
    .bind(endpoint.organisation_id)
    .bind(endpoint.url)
    .bind(endpoint.secret)
    .bind(i64::from(endpoint.active))
    .bind(endpoint.created_by)
    .bind(ts(now))
    .execute(&mut *tx)
    .await?;
    for event in endpoint.events {
        sqlx::query(
            "INSERT INTO webhook_endpoint_events (endpoint_id, event_type) VALUES ($1, $2)",
        )
        .bind(endpoint.id.to_string())
        .bind(*event)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The endpoints of the caller's organisation (`Some`), or of every organisation (`None`, the
/// platform administrator), oldest first.
pub async fn list(db: &Db, scope: Option<&Scope>) -> DbResult<Vec<EndpointRow>> {
    let organisation = scope.map(|s| s.organisation_id());
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM {ENDPOINT_FROM} \
         WHERE (CAST($1 AS TEXT) IS NULL OR e.organisation_id = $1) ORDER BY o.name, e.created_at, e.id"
    )))
    .bind(organisation)
    .fetch_all(&db.pool)
    .await?)
}

/// One endpoint of the caller's organisation; `None` when it has no such endpoint.
pub async fn get(db: &Db, scope: &Scope, id: EndpointId) -> DbResult<Option<EndpointRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM {ENDPOINT_FROM} WHERE e.id = $1 AND e.organisation_id = $2"
    )))
    .bind(id)
    .bind(scope.organisation_id())
    .fetch_optional(&db.pool)
    .await?)
}

/// (endpoint id, event type) of the endpoints listed (`Some` organisation, or all).
pub async fn subscriptions(db: &Db, scope: Option<&Scope>) -> DbResult<Vec<(EndpointId, String)>> {
    let organisation = scope.map(|s| s.organisation_id());
    Ok(sqlx::query_as(
        "SELECT s.endpoint_id, s.event_type FROM webhook_endpoint_events s \
         JOIN webhook_endpoints e ON e.id = s.endpoint_id \
         WHERE (CAST($1 AS TEXT) IS NULL OR e.organisation_id = $1) ORDER BY s.endpoint_id, s.event_type",
    )
    .bind(organisation)
    .fetch_all(&db.pool)
    .await?)
}

/// Switches one of the organisation's endpoints on or off. Switched on, it starts afresh:
/// no failure counted, deliveries waiting are due now. False when there is no such endpoint.
pub async fn set_active(
    db: &Db,
    scope: &Scope,
    id: EndpointId,
    active: bool,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let mut tx = db.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE webhook_endpoints SET active = $3, failing_since = NULL, disabled_at = NULL \
         WHERE id = $1 AND organisation_id = $2",
    )
    .bind(id)
    .bind(scope.organisation_id())
    .bind(i64::from(active))
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    if active {
        sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $2 \
             WHERE endpoint_id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Queues, in the transaction of the change, the webhook event a timeline event makes (see
/// [`webhook::for_timeline`]) for every active endpoint of the request's parties concerned
/// that subscribed to it. One event id for all of them.
pub async fn enqueue_for_timeline(
    tx: &mut Tx,
    request_id: RequestId,
    kind: &str,
    organisation_id: Option<OrganisationId>,
    at: DateTime<Utc>,
) -> DbResult<usize> {
    let event = TimelineEvent {
        request_id,
        kind,
        organisation_id,
        at,
    };
    enqueue_for_events(tx, &[event]).await
}

/// A timeline entry, as its webhook event needs it.
#[derive(Debug, Clone, Copy)]
pub struct TimelineEvent<'a> {
    pub request_id: RequestId,
    pub kind: &'a str,
    /// The organisation the entry is about, if any.
    pub organisation_id: Option<OrganisationId>,
    pub at: DateTime<Utc>,
}

/// [`enqueue_for_timeline`] for several entries: one read of the endpoints per kind of entry
/// and one write of all deliveries, whatever the number of entries.
pub async fn enqueue_for_events(tx: &mut Tx, events: &[TimelineEvent<'_>]) -> DbResult<usize> {
    let mut kinds: Vec<&str> = events.iter().map(|event| event.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut deliveries = Vec::new();
    for kind in kinds {
        let Some((event_type, audience)) = webhook::for_timeline(kind) else {
            continue;
        };
        let roles: &[OrganisationKind] = match audience {
            Audience::Parties => &[OrganisationKind::Coordinator, OrganisationKind::Operator],
            Audience::Concerned => &[OrganisationKind::Coordinator],
            Audience::AllParties => &[
                OrganisationKind::Coordinator,
                OrganisationKind::Operator,
                OrganisationKind::Municipality,
            ],
        };
        let of_kind: Vec<&TimelineEvent> = events.iter().filter(|e| e.kind == kind).collect();
        let mut sql = Sql::new(
            "SELECT p.request_id, e.id, e.organisation_id, p.role, r.reference \
             FROM webhook_endpoints e \
             JOIN webhook_endpoint_events s ON s.endpoint_id = e.id AND s.event_type = ",
        );
        sql.push_bind(event_type)
            .push(
                " JOIN request_parties p ON p.organisation_id = e.organisation_id \
                 JOIN requests r ON r.id = p.request_id \
                 WHERE e.active = 1 AND p.request_id IN ",
            )
            .push_list(of_kind.iter().map(|event| event.request_id))
            .push(" ORDER BY p.request_id, e.id")
            .for_engine(tx.engine);
        let subscribed: Vec<(RequestId, EndpointId, OrganisationId, String, String)> =
            sql.query_as()?.fetch_all(&mut **tx).await?;
        for event in of_kind {
            // The one organisation the event is about is told too (an operator's own lateness).
            let concerned = match audience {
                Audience::Concerned => event.organisation_id,
                _ => None,
            };
            let told: Vec<_> = subscribed
                .iter()
                .filter(|(request, _, organisation, role, _)| {
                    *request == event.request_id
                        && (roles.iter().any(|r| r.code() == role)
                            || Some(*organisation) == concerned)
                })
                .collect();
            let Some((_, _, _, _, reference)) = told.first() else {
                continue;
            };
            let event_id = new_id();
            let body = webhook::payload(
                event_id,
                event_type,
                event.at,
                Some((event.request_id, reference)),
            );
            for (_, endpoint, ..) in told {
                deliveries.push(NewDelivery {
                    endpoint_id: *endpoint,
                    event_id,
                    event_type,
                    request_id: Some(event.request_id),
                    body: body.clone(),
                    at: event.at,
                });
            }
        }
    }
    insert_deliveries(tx, &deliveries).await?;
    Ok(deliveries.len())
}

/// A webhook delivery to queue.
struct NewDelivery<'a> {
    endpoint_id: EndpointId,
    event_id: Uuid,
    event_type: &'a str,
    request_id: Option<RequestId>,
    body: String,
    at: DateTime<Utc>,
}

async fn insert_deliveries(tx: &mut Tx, deliveries: &[NewDelivery<'_>]) -> DbResult<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, request_id, body, \
            status, attempts, next_attempt_at, created_at) VALUES ",
    );
    sql.push_rows(deliveries, |d| {
        vec![
            DeliveryId::generate().into(),
            d.endpoint_id.into(),
            d.event_id.to_string().into(),
            d.event_type.into(),
            d.request_id.into(),
            d.body.as_str().into(),
            "pending".into(),
            0i64.into(),
            ts(d.at).into(),
            ts(d.at).into(),
        ]
    })
    .for_engine(tx.engine);
    sql.query()?.execute(&mut **tx).await?;
    Ok(())
}

/// Queues a test event (`ping`) to one of the organisation's endpoints. False when it has no
/// such endpoint.
pub async fn enqueue_ping(
    db: &Db,
    scope: &Scope,
    endpoint_id: EndpointId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let mut tx = db.begin_write().await?;
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM webhook_endpoints WHERE id = $1 AND organisation_id = $2",
    )
    .bind(endpoint_id)
    .bind(scope.organisation_id())
    .fetch_optional(&mut *tx)
    .await?;
    if found.is_none() {
        tx.rollback().await?;
        return Ok(false);
    }
    let event_id = new_id();
    let ping = NewDelivery {
        endpoint_id,
        event_id,
        event_type: webhook::PING,
        request_id: None,
        body: webhook::payload(event_id, webhook::PING, now, None),
        at: now,
    };
    insert_deliveries(&mut tx, &[ping]).await?;
    tx.commit().await?;
    Ok(true)
}

crate::domain::stored_code! {
    /// Where a delivery stands; stored as its code. A delivery stays pending until its receiver
    /// takes it: an endpoint that keeps failing is switched off, its deliveries are not given up.
    pub enum DeliveryStatus {
        Pending = "pending",
        Delivered = "delivered",
    }
}

/// A delivery as the log lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub event_id: String,
    pub event_type: String,
    pub reference: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: DeliveryStatus,
    pub attempts: i64,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub next_attempt_at: DateTime<Utc>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    #[sqlx(try_from = "Stored<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The latest `limit` deliveries of an endpoint (already checked to be the caller's), newest
/// first.
pub async fn deliveries(
    db: &Db,
    endpoint_id: EndpointId,
    limit: i64,
) -> DbResult<Vec<DeliveryRow>> {
    Ok(sqlx::query_as(
        "SELECT d.id, d.event_id, d.event_type, r.reference, d.status, d.attempts, \
            d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, \
            d.last_duration_ms, d.created_at, d.delivered_at \
         FROM webhook_deliveries d LEFT JOIN requests r ON r.id = d.request_id \
         WHERE d.endpoint_id = $1 ORDER BY d.id DESC LIMIT $2",
    )
    .bind(endpoint_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Sends a delivery of the organisation's endpoint again, now, with the same event id and
/// body. False when the organisation has no such delivery.
pub async fn replay(
    db: &Db,
    scope: &Scope,
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let result = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $4, \
            locked_until = NULL \
         WHERE id = $1 AND endpoint_id = $2 AND endpoint_id IN \
            (SELECT id FROM webhook_endpoints WHERE organisation_id = $3)",
    )
    .bind(delivery_id)
    .bind(endpoint_id)
    .bind(scope.organisation_id())
    .bind(ts(now))
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A claimed delivery with what sending it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueDelivery {
    pub id: DeliveryId,
    pub endpoint_id: EndpointId,
    pub event_id: String,
    pub event_type: String,
    pub body: String,
    pub attempts: i64,
    pub url: String,
    pub secret: String,
}

/// Claims one due delivery for `lease`, never one of an endpoint switched off, nor one with
/// an earlier delivery of the same request to the same endpoint still pending (order per
/// request). The guarded update lets exactly one worker win it, on either engine and across
/// app instances.
pub async fn claim_due(
    db: &Db,
    now: DateTime<Utc>,
    lease: Duration,
) -> DbResult<Option<DueDelivery>> {
    let candidate: Option<DeliveryId> = sqlx::query_scalar(
        "SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status = 'pending' AND e.active = 1 AND d.next_attempt_at <= $1 \
           AND (d.locked_until IS NULL OR d.locked_until <= $1) \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                WHERE p.endpoint_id = d.endpoint_id AND p.request_id = d.request_id \
                  AND p.status = 'pending' AND p.id < d.id) \
         ORDER BY d.next_attempt_at, d.id LIMIT 1",
    )
    .bind(ts(now))
    .fetch_optional(&db.pool)
    .await?;
    let Some(id) = candidate else {
        return Ok(None);
    };
    let claimed: Option<DeliveryId> = sqlx::query_scalar(
        "UPDATE webhook_deliveries SET locked_until = $2, attempts = attempts + 1 \
         WHERE id = $1 AND status = 'pending' AND (locked_until IS NULL OR locked_until <= $3) \
         RETURNING id",
    )
    .bind(id)
    .bind(ts(now + lease))
    .bind(ts(now))
    .fetch_optional(&mut *db.single_write().await?)
    .await?;
    if claimed.is_none() {
        return Ok(None);
    }
    Ok(sqlx::query_as(
        "SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.body, d.attempts, e.url, \
            e.secret FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?)
}

/// What one attempt gave.
pub struct Attempt<'a> {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why the attempt failed; `None` when it was delivered.
    pub error: Option<&'a str>,
    pub duration_ms: i64,
}

/// Records a delivered attempt; the endpoint answers again, so no failure is counted.
pub async fn mark_delivered(
    db: &Db,
    delivery: &DueDelivery,
    attempt: &Attempt<'_>,
) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $2, \
            last_attempt_at = $2, last_status = $3, last_error = NULL, last_duration_ms = $4, \
            locked_until = NULL WHERE id = $1",
    )
    .bind(delivery.id)
    .bind(ts(attempt.at))
    .bind(attempt.status.map(i64::from))
    .bind(attempt.duration_ms)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
        .bind(delivery.endpoint_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a failed attempt, to be tried again at `retry_at`, and returns (in the open
/// transaction, for the caller to disable the endpoint in it if need be) since when the
/// endpoint fails.
pub async fn mark_failed(
    db: &Db,
    delivery: &DueDelivery,
    attempt: &Attempt<'_>,
    retry_at: DateTime<Utc>,
) -> DbResult<(Tx, DateTime<Utc>)> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET next_attempt_at = $2, last_attempt_at = $3, \
            last_status = $4, last_error = $5, last_duration_ms = $6, locked_until = NULL \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(delivery.id)
    .bind(ts(retry_at))
    .bind(ts(attempt.at))
    .bind(attempt.status.map(i64::from))
    .bind(attempt.error)
    .bind(attempt.duration_ms)
    .execute(&mut *tx)
    .await?;
    let since: Stored<DateTime<Utc>> = sqlx::query_scalar(
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) \
         WHERE id = $1 RETURNING failing_since",
    )
    .bind(delivery.endpoint_id)
    .bind(ts(attempt.at))
    .fetch_one(&mut *tx)
    .await?;
    Ok((tx, since.0))
}

/// Disables an endpoint that failed too long; false when it was no longer active. Returns its
/// organisation and address.
pub async fn disable(
    tx: &mut Tx,
    endpoint_id: EndpointId,
    now: DateTime<Utc>,
) -> DbResult<Option<(OrganisationId, String)>> {
    Ok(sqlx::query_as(
        "UPDATE webhook_endpoints SET active = 0, disabled_at = $2 \
         WHERE id = $1 AND active = 1 RETURNING organisation_id, url",
    )
    .bind(endpoint_id)
    .bind(ts(now))
    .fetch_optional(&mut **tx)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus;

    #[test]
    fn statuses_read_back_from_their_stored_codes_and_nothing_else() {
        crate::domain::assert_stored_codes(
            &[
                ("pending", DeliveryStatus::Pending),
                ("delivered", DeliveryStatus::Delivered),
            ],
            &["Delivered", "failed"],
        );
    }
}
