use std::{sync::OnceLock, time::Duration};

use chrono::{DateTime, Duration as Days, NaiveDate, Utc};
use connect_my_home::{
    clock::Clock,
    config::{Config, Limits},
    db::{coverage, organisations, users},
    demo as seed,
    services::auth::hash_password,
    {app::Application, state::AppState},
};
use sqlx::{Connection, Executor};
use tempfile::TempDir;

pub const PASSWORD: &str = seed::DEMO_PASSWORD;

/// The instant every test app starts at unless a test picks another (`spawn_app_at`): a
/// Wednesday morning in Brussels, under the 2026 books. Tests never read the machine's date.
pub const START: &str = "2026-12-02T09:00:00Z";

pub fn instant(text: &str) -> DateTime<Utc> {
    text.parse()
        .unwrap_or_else(|_| panic!("{text} is not an RFC 3339 instant"))
}

/// The Brussels day of `START`.
pub fn start_day() -> NaiveDate {
    Clock::starting_at(instant(START)).today()
}

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub client: reqwest::Client,
    /// Where the instance keeps its files (and SQLite's database).
    pub data_dir: std::path::PathBuf,
    /// Removed with the first instance on it, as is its PostgreSQL database.
    _owned_dir: Option<TempDir>,
    postgres: Option<(String, String)>,
}

fn init_tracing() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            tracing_subscriber::fmt().with_env_filter("info").init();
        }
    });
}

/// The server URL of the PostgreSQL to test against, if any (`postgres://user@host:port`).
pub fn postgres_server() -> Option<String> {
    std::env::var("CMH_TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))
}

/// Creates an empty database for one test and returns its URL.
pub async fn fresh_postgres(server: &str) -> (String, String) {
    let name = format!("cmh_test_{}", uuid::Uuid::new_v4().simple());
    let admin_url = format!("{}/postgres", server.trim_end_matches('/'));
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to the test PostgreSQL server");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create test database");
    (format!("{}/{name}", server.trim_end_matches('/')), name)
}

/// The limits of the test apps: the production ones, but for the counts per client address
/// and per mailbox — every test comes from 127.0.0.1 and files for Marie again and again. The
/// tests of the limits set theirs low explicitly.
pub fn roomy_limits() -> Limits {
    let many = std::num::NonZeroU32::new(100_000).unwrap();
    Limits {
        sign_in_attempts_per_address: many,
        filings_per_address_per_hour: many,
        filing_mails_per_recipient_per_day: many,
        estimates_per_address_per_minute: many,
        link_mails_per_address_per_hour: many,
        ..Limits::default()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with its clock at `start` (RFC 3339).
pub async fn spawn_app_at(start: &str) -> TestApp {
    spawn_app_at_with(start, |_| {}).await
}

/// Starts the app with demo organisations and staff accounts, but no demo requests.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_at_with(START, configure).await
}

/// Starts the app with all the demo data, as `connect-my-home` seeds it on a first run: staff,
/// crews, requests at every stage and the communes' history.
pub async fn spawn_app_with_demo() -> TestApp {
    spawn_app_with(|config| config.seed_demo = true).await
}

/// The same, with the app's clock at `start` (RFC 3339); it runs on from there.
pub async fn spawn_app_at_with(start: &str, configure: impl FnOnce(&mut Config)) -> TestApp {
    init_tracing();
    let data_dir = tempfile::tempdir().unwrap();
    let mut config = Config::local(data_dir.path().to_path_buf());
    config.seed_demo = false;
    config.limits = roomy_limits();
    // The webhook tests' receivers listen on this machine over plain http.
    config.webhooks_allow_local_http = true;
    let postgres = match postgres_server() {
        Some(server) => {
            let (url, name) = fresh_postgres(&server).await;
            config.database_url = Some(url);
            Some((server, name))
        }
        None => None,
    };
    configure(&mut config);
    let clock = Clock::starting_at(instant(start));
    let app = Application::build_with_clock(config, clock)
        .await
        .expect("app builds");
    seed::demo_users(app.state()).await.expect("demo users");
    let data_dir_path = data_dir.path().to_path_buf();
    serve(app, data_dir_path, Some(data_dir), postgres)
}

/// Runs `app` on its port and the test's handle on it; the instance that owns the directory
/// and the PostgreSQL database removes them when dropped.
fn serve(
    app: Application,
    data_dir: std::path::PathBuf,
    owned_dir: Option<TempDir>,
    postgres: Option<(String, String)>,
) -> TestApp {
    let state = app.state().clone();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        state,
        client: client(),
        data_dir,
        _owned_dir: owned_dir,
        postgres,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((server, name)) = self.postgres.take() {
            // Dropped from a plain thread: Drop cannot await on the test's runtime.
            let handle = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let admin_url = format!("{}/postgres", server.trim_end_matches('/'));
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ = conn
                            .execute(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .await;
                    }
                });
            });
            let _ = handle.join();
        }
    }
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden field {name}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// Marie's complete request (journey 1), as form fields, with wished dates from 40 days after
/// `START`.
pub fn marie() -> Vec<(&'static str, String)> {
    marie_from(start_day())
}

/// Marie's request filed on `today`: wished dates 40 to 100 days later.
pub fn marie_from(today: NaiveDate) -> Vec<(&'static str, String)> {
    let start = today + Days::days(40);
    let end = start + Days::days(60);
    vec![
        ("applicant_kind", "natural".into()),
        ("name", "Marie Dupont".into()),
        ("email", "marie.dupont@example.be".into()),
        ("phone", "+32 81 23 45 67".into()),
        ("language", "fr".into()),
        ("street", "Rue des Tanneries".into()),
        ("house_number", "14".into()),
        ("postcode", "5000".into()),
        ("building", "house".into()),
        ("electricity", "on".into()),
        ("electricity_band", "3x25".into()),
        ("gas", "on".into()),
        ("water", "on".into()),
        ("proximus", "on".into()),
        ("voo", "on".into()),
        ("wished_from", start.to_string()),
        ("wished_to", end.to_string()),
        ("remarks", "Chantier démarré".into()),
    ]
}

pub fn with(
    fields: &[(&'static str, String)],
    changes: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = fields
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    for (key, value) in changes {
        if !value.is_empty() {
            out.push((key, (*value).to_owned()));
        }
    }
    out
}

pub struct FormPage {
    pub csrf: String,
    pub key: String,
}

impl TestApp {
    /// A second instance serving the same database with the same clock, as a deployment runs
    /// several: its own port, caches, workers and writer. The first owns the database.
    pub async fn another_instance(&self) -> TestApp {
        let other =
            Application::build_with_clock(self.state.config.clone(), self.state.clock.clone())
                .await
                .expect("a second instance on the same database");
        serve(other, self.data_dir.clone(), None, None)
    }

    /// The app's "now" (its own clock, never the machine's).
    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    /// The app's "today" (Brussels).
    pub fn today(&self) -> NaiveDate {
        self.state.clock.today()
    }

    /// The private link of a request's confirmation email.
    pub async fn private_link(&self, request_id: &str) -> String {
        let body: String = sqlx::query_scalar(
            "SELECT body_text FROM outbox WHERE request_id = $1 AND kind = 'request_filed'",
        )
        .bind(request_id)
        .fetch_one(&self.state.db.pool)
        .await
        .unwrap();
        let start = body.find(&self.url("/track/")).expect("private link");
        body[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// Moves the app's clock on: offers lapse, permits run late, the joint day arrives.
    pub fn advance(&self, by: Days) {
        self.state.clock.advance(by);
    }

    /// Moves the app's clock to 09:00 in Brussels on `day` (never back).
    pub fn advance_to(&self, day: NaiveDate) {
        let target = day.and_hms_opt(8, 0, 0).expect("valid time").and_utc();
        assert!(
            target >= self.now(),
            "the clock only moves on: {day} is past"
        );
        self.state.clock.set(target);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    pub async fn open_form(&self) -> FormPage {
        let (status, html) = self.get_text("/request/new").await;
        assert_eq!(status, 200);
        FormPage {
            csrf: hidden(&html, "csrf_token"),
            key: hidden(&html, "idempotency_key"),
        }
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, String)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Submits a request form as a browser would: the page's CSRF token and idempotency key.
    pub async fn file(
        &self,
        form: &FormPage,
        fields: &[(&'static str, String)],
    ) -> reqwest::Response {
        let mut all: Vec<(&str, String)> = vec![
            ("csrf_token", form.csrf.clone()),
            ("idempotency_key", form.key.clone()),
        ];
        all.extend(fields.iter().cloned());
        self.post_form("/request", &all).await
    }

    /// Files a request and returns its reference and the confirmation page URL.
    pub async fn file_ok(&self, fields: &[(&'static str, String)]) -> (String, String) {
        let form = self.open_form().await;
        let response = self.file(&form, fields).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "{}",
            response.text().await.unwrap()
        );
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let (status, html) = self.get_text(&location).await;
        assert_eq!(status, 200);
        let start = html
            .find("CMH-")
            .expect("reference on the confirmation page");
        (html[start..start + 15].to_owned(), location)
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    pub async fn request_id(&self, reference: &str) -> String {
        sqlx::query_scalar("SELECT id FROM requests WHERE reference = $1")
            .bind(reference)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    /// Signs in a demo account with a fresh cookie jar and returns that client.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        self.signed_in_with(email, PASSWORD).await
    }

    /// Signs in with a fresh cookie jar and returns that client.
    pub async fn signed_in_with(&self, email: &str, password: &str) -> reqwest::Client {
        let client = client();
        let html = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&html, "csrf_token");
        let response = client
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("email", email),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "sign-in of {email}");
        client
    }

    /// Files `fields` and waits until every operator answered: (reference, request id).
    pub async fn file_assessed(&self, fields: &[(&'static str, String)]) -> (String, String) {
        let (reference, _) = self.file_ok(fields).await;
        let id = self.request_id(&reference).await;
        self.wait_state(&id, "assessed").await;
        (reference, id)
    }

    /// Waits until the request reaches `state` (background workers move it).
    pub async fn wait_state(&self, id: &str, state: &str) {
        for _ in 0..100 {
            let now: String = sqlx::query_scalar("SELECT state FROM requests WHERE id = $1")
                .bind(id)
                .fetch_one(&self.state.db.pool)
                .await
                .unwrap();
            if now == state {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("request {id} never reached {state}");
    }

    /// Waits until the outbox worker has handled every message.
    pub async fn wait_outbox_idle(&self) {
        for _ in 0..100 {
            if self
                .count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
                .await
                == 0
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("outbox still has pending messages");
    }
}

/// The private link in the latest email of `kind` to the request `request_id`.
pub async fn link_in_mail(app: &TestApp, request_id: &str, kind: &str) -> String {
    let body = latest_mail(app, request_id, kind).await;
    let start = body
        .find(&app.url("/track/"))
        .unwrap_or_else(|| panic!("no private link in the {kind} email: {body}"));
    body[start..].split_whitespace().next().unwrap().to_owned()
}

/// The text body of the latest email of `kind` to the request `request_id`.
pub async fn latest_mail(app: &TestApp, request_id: &str, kind: &str) -> String {
    sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE request_id = $1 AND kind = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(request_id)
    .bind(kind)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap_or_else(|_| panic!("no {kind} email for request {request_id}"))
}

/// The one-time code of the latest acceptance code emailed for the request.
pub async fn acceptance_code(app: &TestApp, request_id: &str) -> String {
    let body = latest_mail(app, request_id, "acceptance_code").await;
    body.split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 6)
        .unwrap_or_else(|| panic!("no code in {body}"))
        .to_owned()
}

/// Asks to accept the offer shown on the status page `link` (consent ticked or not), as the
/// page's form does: the answer (a redirect to the code's page when a code was sent).
pub async fn ask_acceptance_code(app: &TestApp, link: &str, consent: bool) -> (u16, String) {
    let page = text_of(&app.client, link).await;
    let mut form = vec![
        ("csrf_token", hidden(&page, "csrf_token")),
        ("version", hidden(&page, "version")),
    ];
    if consent {
        form.push(("consent", "yes".to_owned()));
    }
    let response = app
        .client
        .post(format!("{link}/offer/accept"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    match location {
        Some(location) => (status, location),
        None => (status, response.text().await.unwrap()),
    }
}

/// Types `code` on the confirmation page the code request led to (`confirm`, a path).
pub async fn confirm_acceptance(app: &TestApp, confirm: &str, code: &str) -> (u16, String) {
    let page = text_of(&app.client, app.url(confirm)).await;
    let action = confirm.split('?').next().unwrap();
    let response = app
        .client
        .post(app.url(action))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", hidden(&page, "version")),
            ("code", code.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Accepts the offer through the status page `link` of request `request_id` as the applicant
/// does: consent, then the code emailed to them. The last answer.
pub async fn accept_offer_online(app: &TestApp, link: &str, request_id: &str) -> (u16, String) {
    let (status, confirm) = ask_acceptance_code(app, link, true).await;
    assert_eq!(status, 303, "a code is sent: {confirm}");
    let code = acceptance_code(app, request_id).await;
    confirm_acceptance(app, &confirm, &code).await
}

/// The body of a page fetched with `client` (its cookies, its session).
/// A form post's answer: its status, where it sends (empty when nowhere) and its page.
pub async fn answer_of(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

pub async fn text_of(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// The JSON answered to `client` (its cookies, its session), after checking its status.
pub async fn json_of(
    client: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    status: u16,
) -> serde_json::Value {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), status);
    response.json().await.unwrap()
}

/// A second coordinating operator with its own commune and case officer (rule C-7).
pub async fn other_coordinator(app: &TestApp) -> reqwest::Client {
    let organisation = organisations::ensure(
        &app.state.db,
        &organisations::NewOrganisation {
            slug: "resa",
            name: "RESA",
            kind: connect_my_home::domain::tenancy::OrganisationKind::Coordinator,
            service: None,
            commune_nis: None,
            partner: None,
            contact: None,
        },
        app.now(),
    )
    .await
    .unwrap();
    coverage::add(&app.state.db, organisation.id, &["62063"])
        .await
        .unwrap();
    users::ensure(
        &app.state.db,
        &users::NewUser {
            organisation_id: organisation.id,
            email: "agent@resa.test",
            display_name: "Agent RESA",
            role: connect_my_home::domain::tenancy::Role::CaseOfficer,
            password_hash: &hash_password(PASSWORD),
            language: "fr",
        },
        app.now(),
    )
    .await
    .unwrap();
    app.signed_in("agent@resa.test").await
}

/// An app whose operators have the demo crews (Hainaut communes and Namur).
pub async fn app_with_crews() -> TestApp {
    let app = spawn_app().await;
    connect_my_home::demo::demo_crews(&app.state).await.unwrap();
    app
}

/// A filed request every operator answered, whose first candidate day the case officer
/// reserved.
pub struct Reserved {
    pub reference: String,
    pub id: String,
    pub julien: reqwest::Client,
    /// The officer's request page.
    pub url: String,
    pub day: String,
}

pub async fn reserved(app: &TestApp, fields: &[(&'static str, String)]) -> Reserved {
    let (reference, id) = app.file_assessed(fields).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let url = app.url(&format!("/backoffice/requests/{id}"));
    let page = text_of(&julien, &url).await;
    let day = hidden(&page, "day");
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", day.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    Reserved {
        reference,
        id,
        julien,
        url,
        day,
    }
}

/// Sends request `id`'s consolidated offer as `officer`, through the request page's form and
/// its idempotency key; `reason` for a revised version (V-8.3).
pub async fn send_offer_as(app: &TestApp, officer: &reqwest::Client, id: &str, reason: &str) {
    let page = text_of(officer, app.url(&format!("/backoffice/requests/{id}"))).await;
    let response = officer
        .post(app.url(&format!("/backoffice/requests/{id}/offer")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(&page, "key")),
            ("reason", reason.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "the offer is sent");
}

/// A line staff add by hand to `service`'s part of request `id`, through the request page's
/// form, at the answer's current version.
pub struct HandLine<'a> {
    pub service: &'a str,
    pub label: &'a str,
    pub unit_price: &'a str,
    pub vat: &'a str,
    pub reason: &'a str,
}

/// Posts `line` as `staff`; the response, not followed.
pub async fn add_line(
    app: &TestApp,
    staff: &reqwest::Client,
    id: &str,
    line: HandLine<'_>,
) -> reqwest::Response {
    let (assessment, version): (String, i64) = sqlx::query_as(
        "SELECT id, version FROM assessments WHERE request_id = $1 AND service = $2",
    )
    .bind(id)
    .bind(line.service)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let page = text_of(staff, app.url(&format!("/backoffice/requests/{id}"))).await;
    staff
        .post(app.url(&format!("/operator/assessments/{assessment}")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", version.to_string()),
            ("action", "add_line".to_owned()),
            ("line", String::new()),
            ("label", line.label.to_owned()),
            ("quantity", "1".to_owned()),
            ("unit_price", line.unit_price.to_owned()),
            ("vat", line.vat.to_owned()),
            ("text", line.reason.to_owned()),
        ])
        .send()
        .await
        .unwrap()
}

/// ORES electricity records its servicing study (V-8, V-9.2) on request `id` with `fields`,
/// at the answer's current version; the status of the answer.
pub async fn record_study(app: &TestApp, id: &str, fields: &[(&str, &str)]) -> u16 {
    let (assessment_id, version): (String, i64) = sqlx::query_as(
        "SELECT id, version FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let elec = app.signed_in("elec@ores.demo").await;
    let page = text_of(&elec, app.url(&format!("/backoffice/requests/{id}"))).await;
    let mut form = vec![
        ("csrf_token", hidden(&page, "csrf_token")),
        ("version", version.to_string()),
        ("action", "servicing_study".to_owned()),
    ];
    form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    elec.post(app.url(&format!("/operator/assessments/{assessment_id}")))
        .form(&form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
