//! Application assembly: state, router, middleware, the server and its background workers.

use std::{
    net::SocketAddr,
    ops::Deref,
    sync::{Arc, PoisonError, RwLock},
    time::Duration,
};

use axum::{Router, extract::DefaultBodyLimit};
use tokio::{net::TcpListener, sync::Notify};
use tower_http::trace::TraceLayer;

use crate::{
    clock::Clock,
    config::Config,
    db::Db,
    domain::PostcodeDirectory,
    mail::{Mailer, worker},
    services::{books, seed},
    storage::{DiskStorage, Storage},
    tariff::Tariffs,
};

/// Forms are small; anything larger is refused before it is read.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

pub struct AppInner {
    pub db: Db,
    /// The one source of "now" and "today" (the system clock in production).
    pub clock: Clock,
    pub config: Config,
    pub directory: PostcodeDirectory,
    pub base_url: String,
    pub mailer: Mailer,
    /// Wakes the outbox worker as soon as a transaction has queued mail.
    pub outbox_notify: Arc<Notify>,
    /// Wakes the assessment worker as soon as a filing has created tasks.
    pub assess_notify: Arc<Notify>,
    /// The books in use: embedded plus uploaded; an upload replaces the whole set.
    pub tariffs: RwLock<Arc<Tariffs>>,
    /// Uploaded documents (disk by default; object storage later).
    pub storage: Arc<dyn Storage>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<AppInner>);

impl Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl AppState {
    /// The current book set. Callers keep the `Arc`: a case is priced with one set throughout,
    /// even if an upload replaces it meanwhile.
    pub fn tariffs(&self) -> Arc<Tariffs> {
        // Only a whole Arc is ever written, so a poisoned lock still holds a sound set.
        self.tariffs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Db(#[from] crate::db::DbError),
    #[error("seeding: {0}")]
    Seed(#[from] seed::SeedError),
    #[error("mail: {0}")]
    Mail(#[from] crate::mail::MailError),
    #[error("postcode table: {0}")]
    Directory(#[from] crate::domain::geo::DirectoryError),
    #[error("tariff books: {0}")]
    Tariffs(#[from] books::LoadError),
    #[error("uploads directory: {0}")]
    Storage(std::io::Error),
    #[error("listening on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

pub fn postcode_directory() -> Result<PostcodeDirectory, crate::domain::geo::DirectoryError> {
    PostcodeDirectory::from_csv(include_str!("../reference/be-postcodes.csv"))
}

/// Connects and migrates the database, then builds the shared state.
pub async fn build_state(
    config: Config,
    bound: SocketAddr,
    clock: Clock,
) -> Result<AppState, StartError> {
    let db = Db::connect(&config.database_url()).await?;
    db.migrate().await?;
    let mailer = Mailer::from_config(&config)?;
    let tariffs = books::load(&db).await?;
    let storage = DiskStorage::open(config.uploads_dir()).map_err(StartError::Storage)?;
    Ok(AppState(Arc::new(AppInner {
        base_url: config.base_url(bound),
        db,
        clock,
        directory: postcode_directory()?,
        mailer,
        outbox_notify: Arc::new(Notify::new()),
        assess_notify: Arc::new(Notify::new()),
        tariffs: RwLock::new(Arc::new(tariffs)),
        storage: Arc::new(storage),
        config,
    })))
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::web::router())
        .nest("/api/v1", crate::api::router())
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(axum::middleware::from_fn(crate::web::csrf::ensure_cookie))
        .layer(axum::middleware::from_fn(crate::web::security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A bound, seeded application, ready to serve.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Binds first (port 0 picks a free port), then prepares the database; reads the time
    /// from the system clock.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        Self::build_with_clock(config, Clock::system()).await
    }

    /// The same, reading the time from `clock` (tests start the product at a chosen instant).
    pub async fn build_with_clock(config: Config, clock: Clock) -> Result<Self, StartError> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| StartError::Bind(config.bind, e))?;
        let bound = listener
            .local_addr()
            .map_err(|e| StartError::Bind(config.bind, e))?;
        let seed_demo = config.seed_demo;
        let state = build_state(config, bound, clock).await?;
        seed::reference_data(&state).await?;
        if seed_demo {
            seed::demo_users(&state).await?;
            seed::demo_crews(&state).await?;
            seed::demo_requests(&state).await?;
            crate::services::seed_history::demo_history(&state).await?;
        }
        books::price_unpriced_at_start(&state).await;
        Ok(Self { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process is stopped, with the background workers beside the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let poll = Duration::from_millis(self.state.config.outbox_poll_ms);
        let workers = if self.state.config.run_workers {
            vec![
                tokio::spawn(worker::run(
                    self.state.db.clone(),
                    self.state.mailer.clone(),
                    self.state.outbox_notify.clone(),
                    self.state.clock.clone(),
                    poll,
                )),
                tokio::spawn(crate::services::assess::run(self.state.clone(), poll)),
                // Lapses and reminders are dated by the day: an hourly pass is plenty.
                tokio::spawn(crate::services::offers::run(
                    self.state.clone(),
                    Duration::from_secs(3600),
                )),
            ]
        } else {
            Vec::new()
        };
        let app = router(self.state.clone());
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await;
        for worker in workers {
            worker.abort();
        }
        served
    }
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
