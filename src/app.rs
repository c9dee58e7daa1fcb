//! Application assembly: state, router, middleware, the server and its background workers.

use std::{
    net::SocketAddr,
    sync::{Arc, RwLock},
    time::Duration,
};

use axum::{Router, extract::DefaultBodyLimit};
use tokio::{
    net::{TcpListener, TcpSocket},
    sync::Notify,
};
use tower_http::trace::TraceLayer;

use crate::state::{AppInner, AppState};
use crate::{
    clock::Clock,
    config::Config,
    db::Db,
    domain::PostcodeDirectory,
    mail::Mailer,
    services::{books, reference},
    storage::DiskStorage,
    throttle::Throttles,
};

/// Forms are small; anything larger is refused before it is read.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Db(#[from] crate::db::DbError),
    #[error("seeding: {0}")]
    Seed(#[from] reference::SeedError),
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
    let db = Db::connect(
        &config.database_url(),
        Duration::from_secs(config.db_connect_timeout_secs),
    )
    .await?;
    db.migrate().await?;
    let mailer = Mailer::from_config(&config)?;
    let tariffs = books::load(&db).await?;
    let storage = DiskStorage::open(config.uploads_dir()).map_err(StartError::Storage)?;
    Ok(AppState(Arc::new(AppInner {
        base_url: config.base_url(bound),
        db,
        throttles: Throttles::new(&config.limits, &clock),
        reference: Default::default(),
        views: Default::default(),
        pages: Default::default(),
        filings: Default::default(),
        clock,
        directory: postcode_directory()?,
        mailer,
        outbox_notify: Arc::new(Notify::new()),
        assess_notify: Arc::new(Notify::new()),
        webhook_notify: Arc::new(Notify::new()),
        lost_link_notify: Arc::new(Notify::new()),
        tariffs: RwLock::new(Arc::new(tariffs)),
        storage: Arc::new(storage),
        config,
    })))
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::web::router())
        .nest("/api/v1", crate::api::router())
        // Bearer keys, `Idempotency-Key` and problem details, for `/api/` only.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::api::edge::api_edge,
        ))
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::csrf::ensure_cookie,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::headers::security_headers,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A bound, seeded application, ready to serve.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Prepares the database, then listens (port 0 picks a free port); reads the time from
    /// the system clock.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        Self::build_with_clock(config, Clock::system()).await
    }

    /// The same, reading the time from `clock` (tests start the product at a chosen instant).
    /// The port is reserved first (links in mails need it) but accepts connections only once
    /// migrations and seeding are done: until then a client is refused rather than left hanging.
    pub async fn build_with_clock(config: Config, clock: Clock) -> Result<Self, StartError> {
        let bind = config.bind;
        let socket = reserve(bind).map_err(|e| StartError::Bind(bind, e))?;
        let bound = socket.local_addr().map_err(|e| StartError::Bind(bind, e))?;
        let seed_demo = config.seed_demo;
        let state = build_state(config, bound, clock).await?;
        // Instances starting together on one new database take turns to seed it.
        let seeding = state.db.lock_seeding().await?;
        reference::reference_data(&state).await?;
        if seed_demo {
            crate::demo::seed_all(&state).await?;
        }
        seeding.release().await?;
        books::price_unpriced_at_start(&state).await;
        let listener = socket
            .listen(LISTEN_BACKLOG)
            .map_err(|e| StartError::Bind(bound, e))?;
        Ok(Self { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or SIGINT (see [`Self::run_until`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(stop_signal()).await
    }

    /// Serves until `stop` resolves, with the background workers beside the server. Then
    /// stops accepting, lets in-flight requests and each worker's unit of work finish, and
    /// returns; what is still running after the grace period is cut.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let poll = Duration::from_millis(self.state.config.outbox_poll_ms);
        let grace = Duration::from_secs(self.state.config.shutdown_grace_secs);
        let (raise, shutdown) = crate::jobs::Shutdown::new();
        let workers = if self.state.config.run_workers {
            crate::jobs::spawn_all(&self.state, poll, &shutdown)
        } else {
            Vec::new()
        };
        let housekeeping = tokio::spawn(forget_idle_clients(self.state.clone()));
        let app = router(self.state.clone());
        let mut stopping = shutdown.clone();
        // The peer address is the client the throttles count (or the proxy that names it).
        let server = tokio::spawn(
            axum::serve(
                self.listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move { stopping.raised().await })
            .into_future(),
        );
        stop.await;
        tracing::info!(grace_secs = grace.as_secs(), "stopping");
        let _ = raise.send(true);
        housekeeping.abort();
        let server_abort = server.abort_handle();
        let worker_aborts: Vec<_> = workers.iter().map(|w| w.abort_handle()).collect();
        let drained = tokio::time::timeout(grace, async move {
            let served = server.await;
            for worker in workers {
                let _ = worker.await;
            }
            served
        })
        .await;
        match drained {
            Ok(Ok(served)) => served,
            Ok(Err(join)) => Err(std::io::Error::other(join)),
            Err(_) => {
                tracing::warn!("grace period over: cutting what is still running");
                server_abort.abort();
                for worker in worker_aborts {
                    worker.abort();
                }
                Ok(())
            }
        }
    }
}

/// As many pending connections as the system's usual default allows.
const LISTEN_BACKLOG: u32 = 1024;

/// Binds the address without listening yet, as `TcpListener::bind` would (address reuse on).
fn reserve(address: SocketAddr) -> std::io::Result<TcpSocket> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    Ok(socket)
}

/// Every minute, drops the throttle state of clients whose quota is whole again.
async fn forget_idle_clients(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        state.throttles.retain_recent();
    }
}

/// SIGTERM (docker stop, systemd, Kubernetes) or SIGINT (Ctrl-C).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "SIGTERM cannot be caught");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
