//! The only place with SQL. One portable dialect over SQLite and PostgreSQL through
//! sqlx's `any` driver; where the engines differ, the difference stays in this module.

pub mod acceptance_codes;
pub mod api_keys;
pub mod assessments;
pub mod bank_statements;
pub mod coverage;
pub mod crews;
pub mod documents;
pub mod dossier_invoices;
pub mod health;
pub mod holidays;
pub mod links;
pub mod notices;
pub mod offers;
pub mod organisations;
pub mod outbox;
pub mod permits;
pub mod requests;
pub mod revisions;
pub mod sessions;
pub mod sign_ins;
pub mod sql;
pub mod summaries;
pub mod tariff_books;
pub mod users;
pub mod webhooks;

use std::{
    ops::{Deref, DerefMut},
    path::Path,
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::{
    Any, AnyConnection, AnyPool, Transaction,
    any::{AnyConnectOptions, AnyPoolOptions},
    pool::PoolConnection,
};
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

/// An open transaction; on SQLite a writing one also holds this process's writer turn until
/// it commits, rolls back or is dropped.
pub struct Tx {
    inner: Transaction<'static, Any>,
    engine: Engine,
    _writer_turn: Option<OwnedMutexGuard<()>>,
    sessions: Arc<sessions::KeptSessions>,
    /// Set by a write to an account: the kept sessions are forgotten once it commits.
    forget_sessions: bool,
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await?;
        if self.forget_sessions {
            self.sessions.forget_all();
        }
        Ok(())
    }

    /// This transaction changes what a session reads (an account): kept sessions go when it
    /// commits, so that none read before it serves after.
    fn forget_sessions_on_commit(&mut self) {
        self.forget_sessions = true;
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl Deref for Tx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// A pooled connection for one write outside a transaction (a worker claiming a task, a
/// sign-in recording its session); on SQLite it holds this process's writer turn until it is
/// dropped, like a [`Tx`] that writes.
pub struct SingleWrite {
    // Declared first, dropped first: the connection goes back to the pool before the turn
    // passes to the next writer.
    connection: PoolConnection<Any>,
    _writer_turn: Option<OwnedMutexGuard<()>>,
}

impl Deref for SingleWrite {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.connection
    }
}

impl DerefMut for SingleWrite {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.connection
    }
}

/// Longest wait for the writer turn; as long as SQLite's own busy timeout.
const WRITER_TURN_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A state change the request's life does not allow (a bug, refused before any write).
    #[error(transparent)]
    IllegalMove(#[from] crate::domain::request::IllegalMove),
    #[error(transparent)]
    Sqlx(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The server could not be reached at start: where (without the password) and why.
    #[error("cannot reach the database at {address}: {cause}")]
    Unreachable { address: String, cause: String },
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                DbError::Conflict(db.message().to_owned())
            }
            // PostgreSQL's serialization failure and deadlock: two writers met; one rolled
            // back whole and may simply be told so.
            sqlx::Error::Database(ref db)
                if matches!(db.code().as_deref(), Some("40001" | "40P01")) =>
            {
                DbError::Conflict(db.message().to_owned())
            }
            // A stored value that does not read back as its type (an id, a code, a stored
            // document) is a corrupt row, not a failure of the database.
            sqlx::Error::ColumnDecode { index, source } => {
                DbError::Corrupt(format!("column {index}: {source}"))
            }
            other => DbError::Sqlx(other),
        }
    }
}

impl DbError {
    /// A failure that may well not happen again a moment later: the connection or the pool
    /// (a restart, a network blip), SQLite's lock held too long, PostgreSQL's serialization
    /// failure, deadlock, connection loss or an administrator's restart.
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Conflict(_) => true,
            DbError::Sqlx(error) => match error {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => {
                    let code = db.code().unwrap_or_default();
                    // SQLite's SQLITE_BUSY (5) and SQLITE_LOCKED (6), extended codes included;
                    // PostgreSQL's class 08 (connection) and 57P0x (server shutting down).
                    matches!(code.as_ref(), "5" | "6" | "261" | "262" | "517")
                        || code.starts_with("08")
                        || code.starts_with("57P0")
                        || db.message().contains("database is locked")
                }
                _ => false,
            },
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The connection pool and which engine is behind it.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
    /// SQLite has one writer at a time: this process's writers take turns here, in order,
    /// before taking a connection, instead of polling the file lock in SQLite's busy handler
    /// (which sleeps up to 100 ms between tries) while holding a pooled connection.
    writer_turn: Arc<Mutex<()>>,
    /// The live sessions this instance keeps (`sessions`).
    sessions: Arc<sessions::KeptSessions>,
    /// Hears of sessions ended and accounts changed on other instances (PostgreSQL); stops
    /// with the last copy of this pool.
    _listener: Option<Arc<AbortOnDrop>>,
}

/// A background task that stops when this is dropped.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub use crate::domain::{
    AcceptanceCodeId, ApiKeyId, AssessmentId, CrewId, DeliveryId, DocumentId, DossierInvoiceId,
    DueId, EndpointId, HeldInvitationId, HolidayId, OfferId, OrganisationId, OutboxId, PaymentId,
    PermitId, RequestId, StatementId, StatementLineId, UserId, tenancy::Scope,
};

/// A request its reader was allowed to read. Only this module hands one out, with the request
/// row of an authorised read: a tenant's read through its [`Scope`], the applicant's through
/// their private link, a background worker's for the platform. The reads of what hangs off a
/// request (documents, offers, payees, crews' days, permit) take one instead of a bare id, so
/// none of them can be written without the check before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAccess(RequestId);

impl RequestAccess {
    pub fn id(&self) -> RequestId {
        self.0
    }
}

/// Values stored as text on both engines: ids, stored documents, a request read with the right
/// to it.
macro_rules! stored_as_text {
    ($($type:ty),*) => {$(
        impl sqlx::Type<sqlx::Any> for $type {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }
    )*};
}
stored_as_text!(RequestAccess);

/// Decoded only as a column of a row read by an authorised query (see above).
impl<'r> sqlx::Decode<'r, sqlx::Any> for RequestAccess {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Self(<RequestId as sqlx::Decode<'r, sqlx::Any>>::decode(
            value,
        )?))
    }
}

/// Ids are stored as their hyphenated text on both engines; one that does not read back as
/// an id is a corrupt row.
macro_rules! text_id {
    ($($id:ty),*) => {$(
        stored_as_text!($id);

        impl sqlx::Encode<'_, sqlx::Any> for $id {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'_, sqlx::Any>>::encode(self.to_string(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $id {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                text.parse()
                    .map_err(|_| format!("{} {text:?}", stringify!($id)).into())
            }
        }
    )*};
}

/// A value stored as text (a timestamp as [`ts`] writes it, a day, a decimal amount) read back
/// as itself: a row's field names it with `#[sqlx(try_from = "Stored<NaiveDate>")]` and holds
/// the typed value; `Stored<Option<…>>` for a column that may be empty. Text that does not
/// read back is a corrupt row.
pub struct Stored<T>(T);

/// How a value is read from the text it is stored as.
pub trait StoredText: Sized {
    fn from_stored(text: &str) -> Option<Self>;
}

impl StoredText for DateTime<Utc> {
    fn from_stored(text: &str) -> Option<Self> {
        crate::clock::parse_timestamp(text)
    }
}

impl StoredText for NaiveDate {
    fn from_stored(text: &str) -> Option<Self> {
        crate::clock::parse_day(text)
    }
}

impl StoredText for rust_decimal::Decimal {
    fn from_stored(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// Codes read by their own parsing: what does not parse is a corrupt row, not a default.
macro_rules! stored_by_parse {
    ($($type:ty),*) => {$(
        impl StoredText for $type {
            fn from_stored(text: &str) -> Option<Self> {
                text.parse().ok()
            }
        }
    )*};
}
stored_by_parse!(
    crate::domain::permit::PermitStatus,
    crate::domain::Language,
    crate::domain::ApplicantKind
);

impl StoredText for crate::domain::ElectricityBand {
    fn from_stored(text: &str) -> Option<Self> {
        Self::parse(text).ok()
    }
}

impl StoredText for crate::domain::survey::WaterWork {
    fn from_stored(text: &str) -> Option<Self> {
        Self::from_code(text)
    }
}

/// Stored as `vat_filer` or `exempt`; an empty column is a private applicant.
impl StoredText for crate::domain::VatStatus {
    fn from_stored(text: &str) -> Option<Self> {
        match text {
            "vat_filer" => Some(Self::VatFiler),
            "exempt" => Some(Self::Exempt),
            _ => None,
        }
    }
}

impl<T> sqlx::Type<sqlx::Any> for Stored<T> {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

fn read_stored<T: StoredText>(text: &str) -> Result<T, sqlx::error::BoxDynError> {
    T::from_stored(text).ok_or_else(|| format!("{} {text:?}", std::any::type_name::<T>()).into())
}

impl<'r, T: StoredText> sqlx::Decode<'r, sqlx::Any> for Stored<T> {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&'r str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
        read_stored(text).map(Stored)
    }
}

impl<'r, T: StoredText> sqlx::Decode<'r, sqlx::Any> for Stored<Option<T>> {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <Option<&'r str> as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
        text.map(read_stored).transpose().map(Stored)
    }
}

/// Each stored type, and its optional twin, out of its [`Stored`] reading (the orphan rule
/// wants one `From` per type).
macro_rules! from_stored {
    ($($type:ty),*) => {$(
        impl From<Stored<$type>> for $type {
            fn from(stored: Stored<$type>) -> Self {
                stored.0
            }
        }

        impl From<Stored<Option<$type>>> for Option<$type> {
            fn from(stored: Stored<Option<$type>>) -> Self {
                stored.0
            }
        }
    )*};
}
from_stored!(
    DateTime<Utc>,
    NaiveDate,
    rust_decimal::Decimal,
    crate::domain::permit::PermitStatus,
    crate::domain::Language,
    crate::domain::ApplicantKind,
    crate::domain::ElectricityBand,
    crate::domain::survey::WaterWork,
    crate::domain::VatStatus
);

/// Documents stored as JSON text (an operator's answer, a survey) are read back typed, here
/// once: one that does not decode is a corrupt row (see `From<sqlx::Error>`), never skipped.
macro_rules! stored_json {
    ($($document:ty),*) => {$(
        stored_as_text!($document);

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $document {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                serde_json::from_str(text)
                    .map_err(|e| format!("{}: {e}", stringify!($document)).into())
            }
        }
    )*};
}
stored_json!(
    crate::quote::OfferDocument,
    crate::operators::Assessment,
    crate::domain::survey::WaterSurvey,
    crate::domain::servicing::ServicingStudy
);

text_id!(
    RequestId,
    AssessmentId,
    DocumentId,
    PermitId,
    OfferId,
    EndpointId,
    CrewId,
    UserId,
    OrganisationId,
    DeliveryId,
    ApiKeyId,
    OutboxId,
    StatementId,
    StatementLineId,
    DueId,
    HolidayId,
    AcceptanceCodeId,
    HeldInvitationId,
    PaymentId,
    DossierInvoiceId
);

impl Db {
    /// Connects to `sqlite://…` (creating the file and its directory) or `postgres://…`;
    /// a server that does not answer within `connect_timeout` is an error at once.
    pub async fn connect(url: &str, connect_timeout: Duration) -> DbResult<Self> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else {
            Engine::Postgres
        };
        if engine == Engine::Sqlite
            && let Some(dir) = sqlite_parent_dir(url)
        {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Sqlx(sqlx::Error::Io(e)))?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        // One connection first: the pool would retry until its acquire timeout and then say
        // only "pool timed out", naming neither the server nor what went wrong.
        let unreachable = |cause: String| DbError::Unreachable {
            address: redact_url(url),
            cause,
        };
        match tokio::time::timeout(
            connect_timeout,
            <AnyConnection as sqlx::Connection>::connect_with(&options),
        )
        .await
        {
            Err(_) => {
                return Err(unreachable(format!(
                    "no answer within {} s",
                    connect_timeout.as_secs_f32()
                )));
            }
            Ok(Err(error)) => return Err(unreachable(error.to_string())),
            Ok(Ok(probe)) => {
                let _ = sqlx::Connection::close(probe).await;
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if engine == Engine::Sqlite { 8 } else { 10 })
            .acquire_timeout(Duration::from_secs(30))
            // sqlx pings a connection when it returns to the pool, and by default again when it
            // is taken: one more round trip (to SQLite's thread, to the PostgreSQL server) per
            // statement. Only a connection idle for a while is pinged before use (the server
            // may have closed it meanwhile; a failed one is closed and another taken): under
            // load, connections come back within milliseconds, pinged on their return.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for < PING_WHEN_IDLE_FOR {
                        return Ok(true);
                    }
                    Ok(sqlx::Connection::ping(conn).await.is_ok())
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // WAL lets readers work during a write; the busy timeout queues writers.
                        // Reads map the first 256 MB of the file and keep 16 MB of pages per
                        // connection: a large page reads its rows without a system call each.
                        sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000; \
                             PRAGMA mmap_size = 268435456; PRAGMA cache_size = -16384;",
                        )
                        .execute(&mut *conn)
                        .await?;
                    } else {
                        // A page is a few small queries, and many pages are served at once:
                        // a worker process started for one of them costs more than the query
                        // (15 ms to start two for the queue's 1 ms flags, on 100,000 requests).
                        // Each prepared statement is planned once, for any value: planned
                        // again for each call's values, the queue's statements spent about as
                        // long planning as running (0.3 ms beside 0.4 for its flags, 0.33
                        // beside 0.04 for the session). The queue went 25-40% faster; no
                        // other page of bench/web got measurably slower (docs/PERFORMANCE.md).
                        sqlx::raw_sql(
                            "SET max_parallel_workers_per_gather = 0; \
                             SET plan_cache_mode = force_generic_plan",
                        )
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        // SQLite: this process makes every change, so it is told of each (module `sessions`).
        let sessions = Arc::new(sessions::KeptSessions::new(engine == Engine::Sqlite));
        let listener = (engine == Engine::Postgres).then(|| {
            Arc::new(AbortOnDrop(tokio::spawn(sessions::listen_for_changes(
                url.to_owned(),
                Arc::downgrade(&sessions),
            ))))
        });
        Ok(Self {
            pool,
            engine,
            writer_turn: Arc::new(Mutex::new(())),
            sessions,
            _listener: listener,
        })
    }

    /// A transaction of this pool, told where this instance keeps its sessions.
    fn tx(&self, inner: Transaction<'static, Any>, turn: Option<OwnedMutexGuard<()>>) -> Tx {
        Tx {
            inner,
            engine: self.engine,
            _writer_turn: turn,
            sessions: self.sessions.clone(),
            forget_sessions: false,
        }
    }

    pub async fn migrate(&self) -> DbResult<()> {
        sqlx::migrate!("./migrations").run(&self.pool).await?;
        revisions::install(self).await
    }

    /// A transaction that writes. SQLite takes the write lock up front so that two writers
    /// queue instead of failing on lock upgrade; other processes on the same file still queue
    /// on the busy timeout.
    pub async fn begin_write(&self) -> DbResult<Tx> {
        match self.engine {
            Engine::Sqlite => {
                let turn = self.writer_turn().await?;
                Ok(self.tx(self.pool.begin_with("BEGIN IMMEDIATE").await?, turn))
            }
            Engine::Postgres => Ok(self.tx(self.pool.begin().await?, None)),
        }
    }

    /// A connection for one write outside a transaction, taken in this process's writer
    /// turn: every write of `db/` goes through it or [`Db::begin_write`]. Otherwise that
    /// write and a transaction would meet in SQLite's busy handler, which sleeps 1 to 100 ms
    /// between tries, and a transaction sleeping there holds up every writer queued behind.
    pub async fn single_write(&self) -> DbResult<SingleWrite> {
        let turn = self.writer_turn().await?;
        Ok(SingleWrite {
            connection: self.pool.acquire().await?,
            _writer_turn: turn,
        })
    }

    /// This process's turn to write on SQLite (`None` on PostgreSQL).
    async fn writer_turn(&self) -> DbResult<Option<OwnedMutexGuard<()>>> {
        match self.engine {
            Engine::Sqlite => Ok(Some(
                tokio::time::timeout(WRITER_TURN_TIMEOUT, self.writer_turn.clone().lock_owned())
                    .await
                    .map_err(|_| DbError::Sqlx(sqlx::Error::PoolTimedOut))?,
            )),
            Engine::Postgres => Ok(None),
        }
    }

    /// A transaction that only reads: one consistent view for several queries.
    pub async fn begin_read(&self) -> DbResult<Tx> {
        Ok(self.tx(self.pool.begin().await?, None))
    }

    /// A read of thousands of rows at once (the plan's backlog). On PostgreSQL its statements
    /// are planned for their values, unlike the pages' (see `connect`): the number of rows
    /// they match decides the best plan, and planning is small beside reading them (the
    /// backlog's answers of 2,000 requests: 90 ms planned for the coordinator, 110 ms with
    /// the plan for any value).
    pub async fn begin_large_read(&self) -> DbResult<Tx> {
        let mut tx = self.begin_read().await?;
        if self.engine == Engine::Postgres {
            sqlx::raw_sql("SET LOCAL plan_cache_mode = force_custom_plan")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }
}

/// How long a connection may wait in the pool and still be used without a ping first.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// Any number shared by every instance; only seeding takes it.
const SEEDING_LOCK_KEY: i64 = 0x636d_6820_7365_6564;

/// Held while one instance seeds the reference and demo data; see [`Db::lock_seeding`].
pub struct SeedingLock(Option<Tx>);

impl SeedingLock {
    /// Lets the next instance seed (it then finds everything in place).
    pub async fn release(self) -> DbResult<()> {
        if let Some(tx) = self.0 {
            tx.commit().await?;
        }
        Ok(())
    }
}

impl Db {
    /// Waits until no other instance is seeding this database. Seeding reads what exists
    /// and inserts the rest, so two instances starting together on a new PostgreSQL database
    /// would both insert; the lock makes them take turns. It is a transaction-level advisory
    /// lock, so a crashed seeder frees it. SQLite's file lock already serialises the writers of
    /// one file, and several processes on one SQLite file are not a supported deployment.
    pub async fn lock_seeding(&self) -> DbResult<SeedingLock> {
        match self.engine {
            Engine::Sqlite => Ok(SeedingLock(None)),
            Engine::Postgres => {
                let mut tx = self.begin_read().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(SEEDING_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                Ok(SeedingLock(Some(tx)))
            }
        }
    }
}

/// A database URL with its password hidden, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn sqlite_parent_dir(url: &str) -> Option<&Path> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
}

/// Timestamps are stored as fixed-width RFC 3339 UTC text, so text order is time order.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A stored code (a role, a kind, a status) read back; one the product does not know is a
/// corrupt row.
pub fn parse_code<T: std::str::FromStr>(code: &str) -> DbResult<T> {
    code.parse()
        .map_err(|_| DbError::Corrupt(format!("{} {code:?}", std::any::type_name::<T>())))
}

pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Claims one due row of a durable task table (`outbox`, `assessments`) for `lease`. The
/// guarded update lets exactly one worker win a row, on either engine and across app
/// instances; a worker that dies leaves its row to be claimed again when the lease ends.
/// `table` and `returned` are constants of the calling repository, never user input.
pub(crate) async fn claim_due_row<T>(
    db: &Db,
    table: &'static str,
    returned: &'static str,
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> DbResult<Option<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let candidate: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM {table} WHERE status = 'pending' AND next_attempt_at <= $1 \
           AND (locked_until IS NULL OR locked_until <= $1) \
         ORDER BY next_attempt_at, id LIMIT 1"
    )))
    .bind(ts(now))
    .fetch_optional(&db.pool)
    .await?;
    let Some(id) = candidate else {
        return Ok(None);
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET locked_until = $2, attempts = attempts + 1 \
         WHERE id = $1 AND status = 'pending' AND (locked_until IS NULL OR locked_until <= $3) \
         RETURNING {returned}"
    )))
    .bind(&id)
    .bind(ts(now + lease))
    .bind(ts(now))
    .fetch_optional(&mut *db.single_write().await?)
    .await?)
}

/// Records a failed attempt on a durable task row: retried at `retry_at`, or given up when
/// `None`. `table` is a constant of the calling repository.
pub(crate) async fn mark_task_failed(
    db: &Db,
    table: &'static str,
    id: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> DbResult<()> {
    let (status, next) = match retry_at {
        Some(at) => ("pending", Some(ts(at))),
        None => ("failed", None),
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET status = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
            locked_until = NULL, last_error = $4 WHERE id = $1 AND status = 'pending'"
    )))
    .bind(id)
    .bind(status)
    .bind(next)
    .bind(error)
    .execute(&mut *db.single_write().await?)
    .await?;
    Ok(())
}

#[cfg(test)]
mod connect_tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_server_is_named_with_its_cause_without_the_password() {
        // Port 1 on the loopback: nothing listens there, the refusal is immediate.
        let started = std::time::Instant::now();
        let error = Db::connect(
            "postgres://cmh:secret@127.0.0.1:1/cmh",
            Duration::from_secs(5),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(started.elapsed() < Duration::from_secs(5), "{error}");
        assert!(
            error.starts_with("cannot reach the database at postgres://cmh:***@127.0.0.1:1/cmh: "),
            "{error}"
        );
        assert!(error.contains("Connection refused"), "{error}");
        assert!(!error.contains("secret"), "{error}");
    }

    #[tokio::test]
    async fn a_server_that_does_not_answer_fails_after_the_connect_timeout() {
        // A listener that accepts but never speaks: the PostgreSQL handshake waits forever.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = silent.local_addr().unwrap().port();
        let started = std::time::Instant::now();
        let error = Db::connect(
            &format!("postgres://cmh@127.0.0.1:{port}/cmh"),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(started.elapsed() < Duration::from_secs(5), "{error}");
        assert_eq!(
            error,
            format!(
                "cannot reach the database at postgres://cmh@127.0.0.1:{port}/cmh: no answer within 0.3 s"
            )
        );
    }

    #[test]
    fn redacting_hides_only_the_password() {
        assert_eq!(
            redact_url("postgres://u:p@h:5432/d"),
            "postgres://u:***@h:5432/d"
        );
        assert_eq!(redact_url("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_as_text() {
        let early = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let late = early + chrono::Duration::milliseconds(1500);
        assert!(ts(early) < ts(late));
        assert_eq!(crate::clock::parse_timestamp(&ts(late)), Some(late));
        assert_eq!(ts(early).len(), ts(late).len());
    }

    #[test]
    fn sqlite_directory_from_url() {
        assert_eq!(
            sqlite_parent_dir("sqlite://data/cmh.db?mode=rwc"),
            Some(Path::new("data"))
        );
        assert_eq!(sqlite_parent_dir("sqlite::memory:"), None);
    }

    #[tokio::test]
    async fn a_stored_answer_is_read_typed_and_one_that_does_not_decode_is_a_corrupt_row() {
        let db = Db::connect("sqlite::memory:", Duration::from_secs(5))
            .await
            .unwrap();
        let none: Option<crate::operators::Assessment> = sqlx::query_scalar("SELECT NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert!(none.is_none());
        let error =
            sqlx::query_scalar::<_, crate::operators::Assessment>("SELECT '{\"feasibility\":'")
                .fetch_one(&db.pool)
                .await
                .map_err(DbError::from)
                .unwrap_err();
        assert!(matches!(error, DbError::Corrupt(_)), "{error}");
    }

    /// A due read back with its stored codes, amount and day; a code the product does not
    /// know is a corrupt row, never taken for the first choice.
    #[tokio::test]
    async fn a_stored_due_and_payment_are_read_typed_and_an_unknown_code_is_a_corrupt_row() {
        #[derive(Debug, sqlx::FromRow)]
        struct Read {
            #[sqlx(try_from = "String")]
            document: crate::quote::DocumentKind,
            #[sqlx(try_from = "String")]
            due: crate::domain::dues::DueWhen,
            #[sqlx(try_from = "Stored<rust_decimal::Decimal>")]
            amount: rust_decimal::Decimal,
            #[sqlx(try_from = "Stored<NaiveDate>")]
            paid_on: NaiveDate,
            #[sqlx(try_from = "Stored<Option<DateTime<Utc>>>")]
            reminded_at: Option<DateTime<Utc>>,
        }
        let db = Db::connect("sqlite::memory:", Duration::from_secs(5))
            .await
            .unwrap();
        let read: Read = sqlx::query_as(
            "SELECT 'invoice' AS document, 'at_deed' AS due, '1234.50' AS amount, \
                '2027-01-04' AS paid_on, NULL AS reminded_at",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(read.document, crate::quote::DocumentKind::Invoice);
        assert_eq!(read.due, crate::domain::dues::DueWhen::AtDeed);
        assert_eq!(read.amount, rust_decimal::Decimal::new(123_450, 2));
        assert_eq!(read.paid_on, NaiveDate::from_ymd_opt(2027, 1, 4).unwrap());
        assert_eq!(read.reminded_at, None);
        let reminded: Read = sqlx::query_as(
            "SELECT 'offer' AS document, 'before_works' AS due, '0' AS amount, \
                '2027-01-04' AS paid_on, '2027-01-04T08:30:00.000000Z' AS reminded_at",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(
            reminded.reminded_at,
            Some("2027-01-04T08:30:00Z".parse::<DateTime<Utc>>().unwrap())
        );
        for wrong in [
            "'bill' AS document, 'at_deed' AS due, '1' AS amount, '2027-01-04' AS paid_on",
            "'offer' AS document, 'at_deed' AS due, 'twelve' AS amount, '2027-01-04' AS paid_on",
            "'offer' AS document, 'at_deed' AS due, '1' AS amount, '04/01/2027' AS paid_on",
        ] {
            let error = sqlx::query_as::<_, Read>(sqlx::AssertSqlSafe(format!(
                "SELECT {wrong}, NULL AS reminded_at"
            )))
            .fetch_one(&db.pool)
            .await
            .map_err(DbError::from)
            .unwrap_err();
            assert!(matches!(error, DbError::Corrupt(_)), "{wrong}: {error}");
        }
    }

    /// A request's stored codes read back as the applicant's facts: an empty VAT column is a
    /// private applicant, an empty water work a first connection; a code the product does not
    /// write (a language, a band, a VAT position) is a corrupt row, never a default.
    #[tokio::test]
    async fn a_requests_codes_are_read_typed_and_an_unknown_code_is_a_corrupt_row() {
        use crate::domain::{
            ApplicantKind, ElectricityBand, Language, VatStatus, survey::WaterWork,
        };
        #[derive(Debug, sqlx::FromRow)]
        struct Read {
            #[sqlx(try_from = "Stored<Language>")]
            language: Language,
            #[sqlx(try_from = "Stored<ApplicantKind>")]
            kind: ApplicantKind,
            #[sqlx(try_from = "Stored<Option<ElectricityBand>>")]
            band: Option<ElectricityBand>,
            #[sqlx(try_from = "Stored<Option<VatStatus>>")]
            vat: Option<VatStatus>,
            #[sqlx(try_from = "Stored<Option<WaterWork>>")]
            water: Option<WaterWork>,
        }
        let db = Db::connect("sqlite::memory:", Duration::from_secs(5))
            .await
            .unwrap();
        let read = |columns: &str| {
            sqlx::query_as::<_, Read>(sqlx::AssertSqlSafe(format!("SELECT {columns}")))
                .fetch_one(&db.pool)
        };
        let legal = read(
            "'nl' AS language, 'legal' AS kind, '3x25' AS band, 'vat_filer' AS vat, \
                'renewal' AS water",
        )
        .await
        .unwrap();
        assert_eq!(legal.language, Language::Nl);
        assert_eq!(legal.kind, ApplicantKind::Legal);
        assert_eq!(
            legal.band,
            Some(ElectricityBand {
                phases: 3,
                amperes: 25
            })
        );
        assert_eq!(legal.vat, Some(VatStatus::VatFiler));
        assert_eq!(legal.water, Some(WaterWork::Renewal));
        let private =
            read("'fr' AS language, 'natural' AS kind, NULL AS band, NULL AS vat, NULL AS water")
                .await
                .unwrap();
        assert_eq!(private.vat.unwrap_or_default(), VatStatus::Private);
        assert_eq!(private.water.unwrap_or_default(), WaterWork::New);
        assert_eq!(private.band, None);
        for wrong in [
            "'xx' AS language, 'natural' AS kind, NULL AS band, NULL AS vat, NULL AS water",
            "'fr' AS language, 'company' AS kind, NULL AS band, NULL AS vat, NULL AS water",
            "'fr' AS language, 'natural' AS kind, '2x25' AS band, NULL AS vat, NULL AS water",
            "'fr' AS language, 'natural' AS kind, NULL AS band, 'private' AS vat, NULL AS water",
            "'fr' AS language, 'natural' AS kind, NULL AS band, NULL AS vat, 'rebuild' AS water",
        ] {
            let error = read(wrong).await.map_err(DbError::from).unwrap_err();
            assert!(matches!(error, DbError::Corrupt(_)), "{wrong}: {error}");
        }
    }
}
