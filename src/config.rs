//! One typed configuration, from command-line flags or `CMH_*` environment variables,
//! with defaults that run the product locally.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    path::PathBuf,
};

use clap::{Args, ValueEnum};

use crate::domain::permit::TrenchDefaults;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MailTransportKind {
    /// Write each message as an .eml file under `<data-dir>/outbox`.
    File,
    /// Send through an SMTP relay.
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

#[derive(Clone, Args)]
pub struct Config {
    /// Address and port the web server listens on.
    #[arg(long, env = "CMH_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Public address of the site, used in links sent by email.
    #[arg(long, env = "CMH_BASE_URL")]
    pub base_url: Option<String>,
    /// Directory for the SQLite database, uploads and the file outbox.
    #[arg(long, env = "CMH_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Database: `sqlite://…` or `postgres://…`. Defaults to `<data-dir>/connect-my-home.db`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Seed the demo organisations, users and requests (idempotent).
    #[arg(long, env = "CMH_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,
    #[arg(long, env = "CMH_MAIL_TRANSPORT", value_enum, default_value = "file")]
    pub mail_transport: MailTransportKind,
    #[arg(
        long,
        env = "CMH_MAIL_FROM",
        default_value = "Connect my home <no-reply@connect-my-home.be>"
    )]
    pub mail_from: String,
    #[arg(long, env = "CMH_SMTP_HOST", default_value = "127.0.0.1")]
    pub smtp_host: String,
    #[arg(long, env = "CMH_SMTP_PORT", default_value_t = 1025)]
    pub smtp_port: u16,
    #[arg(long, env = "CMH_SMTP_SECURITY", value_enum, default_value = "none")]
    pub smtp_security: SmtpSecurity,
    #[arg(long, env = "CMH_SMTP_USER")]
    pub smtp_user: Option<String>,
    #[arg(long, env = "CMH_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// Send cookies only over HTTPS and tell browsers to reach the site over HTTPS only
    /// (HSTS, one year): set behind TLS in production.
    #[arg(long, env = "CMH_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,
    /// Delay between two outbox polls, in milliseconds.
    #[arg(long, env = "CMH_OUTBOX_POLL_MS", default_value_t = 1000)]
    pub outbox_poll_ms: u64,
    /// The longest one SMTP delivery may take, connection to final reply, in seconds. A relay
    /// that accepts and then hangs fails the attempt, which is retried later.
    #[arg(long, env = "CMH_MAIL_SEND_TIMEOUT_SECS", default_value_t = 30)]
    pub mail_send_timeout_secs: u64,
    /// How many mails the outbox worker sends at once: a hung delivery holds up only its own
    /// message.
    #[arg(long, env = "CMH_MAIL_CONCURRENCY", default_value_t = 4)]
    pub mail_concurrency: usize,
    /// How long a worker's claim on a message lasts, in seconds. It is renewed every quarter
    /// of this while the delivery runs, so it only has to outlast a crashed worker's silence.
    #[arg(long, env = "CMH_MAIL_CLAIM_SECS", default_value_t = 60)]
    pub mail_claim_secs: u64,
    /// Working days an operator has to assess a request before the case officer sees it late.
    #[arg(long, env = "CMH_ASSESSMENT_DUE_DAYS", default_value_t = 5)]
    pub assessment_due_working_days: u32,
    /// Run the background workers (mail, assessments) in this process. Instances that only
    /// serve pages behind a load balancer may leave them to others.
    #[arg(long, env = "CMH_RUN_WORKERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub run_workers: bool,
    /// Let webhook endpoints receive over plain `http` on this machine (`localhost`,
    /// `127.0.0.1`): for development and tests only; everywhere else they must be `https`.
    #[arg(long, env = "CMH_WEBHOOKS_ALLOW_LOCAL_HTTP", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhooks_allow_local_http: bool,
    /// Seconds to wait for the database server to answer at start before giving up with its
    /// address and the cause.
    #[arg(long, env = "CMH_DB_CONNECT_TIMEOUT_SECS", default_value_t = 5)]
    pub db_connect_timeout_secs: u64,
    /// Seconds a stopping process (SIGTERM, SIGINT) gives in-flight requests and the mail or
    /// job in progress to finish before it exits anyway.
    #[arg(long, env = "CMH_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
    /// More partners joined by configuration: a TOML file of `[[organisation]]` entries
    /// like reference/organisations.toml, each with its `[organisation.partner]` offer.
    #[arg(long, env = "CMH_PARTNERS_FILE")]
    pub partners_file: Option<std::path::PathBuf>,
    /// Where uploaded documents are stored. Defaults to `<data-dir>/uploads`.
    #[arg(long, env = "CMH_UPLOADS_DIR")]
    pub uploads_dir: Option<PathBuf>,
    /// Largest document an applicant may upload, in bytes (20 MB by default).
    #[arg(long, env = "CMH_UPLOAD_MAX_BYTES", default_value_t = DEFAULT_UPLOAD_MAX_BYTES)]
    pub upload_max_bytes: u64,
    /// Calendar days a commune has to decide a joint road-works permit request (road-works
    /// coordination decree: 45).
    #[arg(long, env = "CMH_PERMIT_DECISION_DAYS", default_value_t = 45)]
    pub permit_decision_days: u32,
    /// Metres of trench of each operator's works when its quote lines give none:
    /// `service=metres` pairs, `*` for any other service.
    #[arg(
        long,
        env = "CMH_PERMIT_TRENCH_DEFAULTS",
        default_value = DEFAULT_TRENCH_METRES,
        value_parser = TrenchDefaults::parse
    )]
    pub permit_trench_defaults: TrenchDefaults,
    /// Tile server of the works map (`{z}/{x}/{y}`, optional `{s}`). The pages list the works
    /// without it: the map is only an enhancement.
    #[arg(long, env = "CMH_MAP_TILE_URL", default_value = DEFAULT_TILE_URL)]
    pub map_tile_url: String,
    /// Attribution shown on the map for its tiles.
    #[arg(long, env = "CMH_MAP_TILE_ATTRIBUTION", default_value = DEFAULT_TILE_ATTRIBUTION)]
    pub map_tile_attribution: String,
    #[command(flatten)]
    pub limits: Limits,
}

/// Throttles and quotas against guessing passwords, flooding the public forms and filling the
/// disk. Counts per client address are kept in each instance's memory; the others are counted
/// in the database and so hold across instances.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Failed sign-ins on one account (known or not) before it is locked for the window,
    /// counted in the database. The right password is refused too while it is locked.
    #[arg(long, env = "CMH_SIGN_IN_FAILURES_PER_ACCOUNT", default_value_t = Limits::DEFAULT.sign_in_failures_per_account)]
    pub sign_in_failures_per_account: NonZeroU32,
    /// Sign-in attempts (right or wrong) from one client address per window, in each
    /// instance's memory.
    #[arg(long, env = "CMH_SIGN_IN_ATTEMPTS_PER_ADDRESS", default_value_t = Limits::DEFAULT.sign_in_attempts_per_address)]
    pub sign_in_attempts_per_address: NonZeroU32,
    /// The sign-in window, in minutes, for both counts above.
    #[arg(long, env = "CMH_SIGN_IN_WINDOW_MINUTES", default_value_t = Limits::DEFAULT.sign_in_window_minutes)]
    pub sign_in_window_minutes: NonZeroU32,
    /// Requests filed from one client address per hour, in each instance's memory.
    #[arg(long, env = "CMH_FILINGS_PER_ADDRESS_PER_HOUR", default_value_t = Limits::DEFAULT.filings_per_address_per_hour)]
    pub filings_per_address_per_hour: NonZeroU32,
    /// Filing confirmations sent to one mailbox per 24 hours, counted in the outbox: the
    /// public form cannot be used to flood an address.
    #[arg(long, env = "CMH_FILING_MAILS_PER_RECIPIENT_PER_DAY", default_value_t = Limits::DEFAULT.filing_mails_per_recipient_per_day)]
    pub filing_mails_per_recipient_per_day: NonZeroU32,
    /// Documents one request may hold, counted in the database.
    #[arg(long, env = "CMH_UPLOAD_MAX_FILES_PER_REQUEST", default_value_t = Limits::DEFAULT.upload_max_files_per_request)]
    pub upload_max_files_per_request: NonZeroU32,
    /// Bytes all the documents of one request may hold together, counted in the database.
    #[arg(long, env = "CMH_UPLOAD_MAX_BYTES_PER_REQUEST", default_value_t = Limits::DEFAULT.upload_max_bytes_per_request)]
    pub upload_max_bytes_per_request: u64,
    /// Estimates (the page and the API) from one client address per minute, in each
    /// instance's memory.
    #[arg(long, env = "CMH_ESTIMATES_PER_ADDRESS_PER_MINUTE", default_value_t = Limits::DEFAULT.estimates_per_address_per_minute)]
    pub estimates_per_address_per_minute: NonZeroU32,
    /// New private links asked from one client address per hour ("lost your link?" and the
    /// status page's button; each sends mail), in each instance's memory.
    #[arg(long, env = "CMH_LINK_MAILS_PER_ADDRESS_PER_HOUR", default_value_t = Limits::DEFAULT.link_mails_per_address_per_hour)]
    pub link_mails_per_address_per_hour: NonZeroU32,
    /// Reverse proxies whose `X-Forwarded-For` is believed (comma-separated addresses). Empty
    /// by default: the client is the connection's peer.
    #[arg(long, env = "CMH_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
}

const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => panic!("a limit is at least 1"),
    }
}

impl Limits {
    /// What a public portal needs: a person who mistypes a password, files for a few lots or
    /// tries a dozen estimates never meets them; a script does at once.
    pub const DEFAULT: Limits = Limits {
        sign_in_failures_per_account: nonzero(5),
        sign_in_attempts_per_address: nonzero(20),
        sign_in_window_minutes: nonzero(15),
        filings_per_address_per_hour: nonzero(10),
        filing_mails_per_recipient_per_day: nonzero(5),
        upload_max_files_per_request: nonzero(20),
        upload_max_bytes_per_request: 50 * 1024 * 1024,
        estimates_per_address_per_minute: nonzero(60),
        link_mails_per_address_per_hour: nonzero(10),
        trusted_proxies: Vec::new(),
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// 20 MB: a scanned title deed or a plan in PDF or DWG.
pub const DEFAULT_UPLOAD_MAX_BYTES: u64 = 20 * 1024 * 1024;

pub const DEFAULT_TRENCH_METRES: &str = "electricity=15,gas=15,water=12,proximus=15,voo=15,*=15";
pub const DEFAULT_TILE_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
pub const DEFAULT_TILE_ATTRIBUTION: &str = "© OpenStreetMap contributors";

impl Config {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("connect-my-home.db").display()
            )
        })
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.uploads_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("uploads"))
    }

    /// The public base URL without a trailing slash.
    pub fn base_url(&self, bound: SocketAddr) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
            .trim_end_matches('/')
            .to_owned()
    }

    /// Defaults for a local run under `data_dir`, as the tests use it.
    pub fn local(data_dir: PathBuf) -> Self {
        Self {
            bind: "127.0.0.1:0".parse().expect("static address"),
            base_url: None,
            data_dir,
            database_url: None,
            seed_demo: true,
            mail_transport: MailTransportKind::File,
            mail_from: "Connect my home <no-reply@connect-my-home.be>".into(),
            smtp_host: "127.0.0.1".into(),
            smtp_port: 1025,
            smtp_security: SmtpSecurity::None,
            smtp_user: None,
            smtp_password: None,
            secure_cookies: false,
            outbox_poll_ms: 200,
            mail_send_timeout_secs: 30,
            mail_concurrency: 4,
            mail_claim_secs: 60,
            assessment_due_working_days: 5,
            run_workers: true,
            webhooks_allow_local_http: false,
            shutdown_grace_secs: 20,
            db_connect_timeout_secs: 5,
            partners_file: None,
            uploads_dir: None,
            upload_max_bytes: DEFAULT_UPLOAD_MAX_BYTES,
            permit_decision_days: 45,
            permit_trench_defaults: TrenchDefaults::parse(DEFAULT_TRENCH_METRES)
                .expect("static defaults"),
            map_tile_url: DEFAULT_TILE_URL.into(),
            map_tile_attribution: DEFAULT_TILE_ATTRIBUTION.into(),
            limits: Limits::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    // The SMTP password and database credentials never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("base_url", &self.base_url)
            .field("data_dir", &self.data_dir)
            .field(
                "database",
                &self.database_url().split(':').next().unwrap_or("?"),
            )
            .field("mail_transport", &self.mail_transport)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_password", &self.smtp_password.as_ref().map(|_| "***"))
            .field("uploads_dir", &self.uploads_dir())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
